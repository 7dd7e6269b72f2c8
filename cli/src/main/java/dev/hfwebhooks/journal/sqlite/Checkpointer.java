package dev.hfwebhooks.journal.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Copies the WAL into the database file in the background. SQLite would otherwise do it inside a
 * commit every thousand pages, and the writer, so every delivery waiting on it, would wait for the
 * copy and its fsync.
 */
final class Checkpointer {
  static final Duration PERIOD = Duration.ofMillis(500);

  private final Connection connection;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("hf-webhooks-checkpoint").factory());

  /** Starts checkpointing through {@code connection}, which it closes when it stops. */
  // checkpoint() catches its failures, and close() stops it: nothing to read from the future.
  @SuppressWarnings("FutureReturnValueIgnored")
  Checkpointer(Connection connection) {
    this.connection = connection;
    thread.scheduleWithFixedDelay(
        this::checkpoint, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * PASSIVE: copies what it can without waiting for the writer or readers; once all of the WAL is
   * copied, the next commit starts it again from the beginning, so it stays small.
   */
  private void checkpoint() {
    try {
      Statements.execute(connection, "PRAGMA wal_checkpoint(PASSIVE)");
    } catch (SQLException e) {
      // Tried again at the next period; a failing disk shows in the writes themselves.
    }
  }

  void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Statements.closeQuietly(connection);
  }
}
