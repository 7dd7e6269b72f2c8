package dev.hfwebhooks.journal.sqlite;

import java.util.concurrent.CompletableFuture;

/** What the writer thread takes: a write someone waits for, or one the log already holds. */
sealed interface Entry {

  /**
   * One write and whoever waits for it; {@code inserts} when it adds a delivery (retention counts
   * them), {@code synced} when its commit must be on the disk before it returns.
   */
  record Write(
      Statements.Work<?> work, boolean inserts, boolean synced, CompletableFuture<Object> done)
      implements Entry {}

  /** A write in the log, which nobody waits for; {@code count} is its number among them. */
  record Logged(LogRecord record, JournalLog.Position end, long count) implements Entry {}
}
