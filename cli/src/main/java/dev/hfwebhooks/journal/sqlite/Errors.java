package dev.hfwebhooks.journal.sqlite;

import dev.hfwebhooks.journal.JournalException;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** What goes wrong with the journal, each as one line that says what to do. */
final class Errors {
  private Errors() {}

  /** One line that says what is wrong with the journal and what to do. */
  static JournalException translate(Path file, SQLException e) {
    if (e instanceof SQLiteException sqlite) {
      SQLiteErrorCode code = sqlite.getResultCode();
      int primary = code.code & 0xff;
      if (primary == SQLiteErrorCode.SQLITE_BUSY.code
          || primary == SQLiteErrorCode.SQLITE_LOCKED.code) {
        return new JournalException(
            "the journal %s is locked by another program (still busy after %d s): wait for it,"
                    .formatted(file, Schema.BUSY_TIMEOUT.toSeconds())
                + " or stop it",
            e);
      }
      if (primary == SQLiteErrorCode.SQLITE_NOTADB.code) {
        return new JournalException(notAJournal(file, "not an SQLite database"), e);
      }
      if (primary == SQLiteErrorCode.SQLITE_CORRUPT.code) {
        return damaged(file, null, e);
      }
      if (primary == SQLiteErrorCode.SQLITE_READONLY.code
          || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code
          || primary == SQLiteErrorCode.SQLITE_PERM.code
          || primary == SQLiteErrorCode.SQLITE_IOERR.code
          || primary == SQLiteErrorCode.SQLITE_FULL.code) {
        return new JournalException(
            "cannot use the journal %s (%s): check that its folder is writable and has room,"
                    .formatted(file, code.message)
                + " or pass another --data-dir",
            e);
      }
    }
    return new JournalException("journal " + file + ": " + e.getMessage(), e);
  }

  /** What a write the writer thread failed with becomes for whoever waits for it. */
  static JournalException failure(Path file, Throwable e) {
    return e instanceof SQLException sql
        ? translate(file, sql)
        : e instanceof JournalException journal ? journal : new JournalException(e.toString(), e);
  }

  /** The file is damaged ({@code why}, when known): SQLite found it so, or a value it holds. */
  static JournalException damaged(Path file, @Nullable String why, @Nullable Exception e) {
    return new JournalException(
        "the journal %s is damaged%s: move it away (a new one is made), or pass another --data-dir"
            .formatted(file, why == null ? "" : " (" + why + ")"),
        e);
  }

  static String notAJournal(Path file, String why) {
    return "%s is not an hf-webhooks journal (%s): move it away, or pass another --data-dir"
        .formatted(file, why);
  }

  static JournalException closed(Path file) {
    return new JournalException("the journal " + file + " is closed");
  }

  static JournalException noDelivery(Path file, String id) {
    return new JournalException("no delivery " + id + " in " + file);
  }

  /**
   * The log beside the journal cannot be used at all ({@code "use"}) or written ({@code "write"}).
   */
  static JournalException log(Path file, String what, IOException e) {
    return new JournalException(
        "cannot %s the journal's log beside %s (%s): check that its folder is writable and has"
                .formatted(what, file, e.getMessage())
            + " room, or pass another --data-dir",
        e);
  }
}
