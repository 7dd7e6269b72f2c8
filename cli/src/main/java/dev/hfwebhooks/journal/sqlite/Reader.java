package dev.hfwebhooks.journal.sqlite;

import java.nio.file.Path;
import java.sql.SQLException;

/**
 * The connection reads go through, apart from the writer's: WAL lets them run beside it. One read
 * at a time, each in a snapshot of its own.
 */
final class Reader {
  private final Path file;
  private final Statements sql;
  private boolean closed; // under this

  Reader(Path file, Statements sql) {
    this.file = file;
    this.sql = sql;
  }

  /** Runs {@code work} on what the database holds now. */
  synchronized <T> T read(Statements.Work<T> work) {
    if (closed) {
      throw Errors.closed(file);
    }
    try {
      // One snapshot for the whole read: a delivery is two statements (its row, its earlier
      // attempts), and replay in another process may start an attempt between them.
      sql.prepare("BEGIN").execute();
      T result;
      try {
        result = work.run(sql);
      } catch (SQLException | RuntimeException e) {
        // SQLite may have ended the transaction itself (a full disk, I/O): the error that
        // matters is the read's, and the connection must not stay inside a transaction.
        sql.forget();
        try {
          sql.prepare("ROLLBACK").execute();
        } catch (SQLException ignored) {
          // no transaction was left open
        }
        throw e;
      }
      sql.prepare("COMMIT").execute(); // ends the read; it wrote nothing
      return result;
    } catch (SQLException e) {
      sql.forget();
      throw Errors.translate(file, e);
    } catch (IllegalArgumentException e) {
      // A status or trigger no version writes: a damaged file, which SQLite has no checksum for.
      throw Errors.damaged(file, "a delivery holds a value no hf-webhooks writes", e);
    }
  }

  synchronized void close() {
    if (!closed) {
      closed = true;
      sql.close();
    }
  }
}
