package dev.hfwebhooks.journal.sqlite;

import static dev.hfwebhooks.journal.sqlite.Errors.notAJournal;
import static dev.hfwebhooks.journal.sqlite.Statements.execute;

import dev.hfwebhooks.journal.JournalException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * The journal's tables, in the one format this version writes, and how a file is opened as a
 * journal: connections, and refusing a file that is not one of ours.
 */
final class Schema {
  static final Duration BUSY_TIMEOUT = Duration.ofSeconds(5);

  /** The page size of a new journal. */
  static final int PAGE_SIZE = 8192;

  /**
   * The format of the tables below, kept in {@code PRAGMA user_version}. A version that changes
   * them raises it and converts a journal of the one before; nothing was released before this one,
   * so there is nothing older to convert.
   */
  static final int VERSION = 1;

  // No index beyond the two keys: each costs every write, and what else reads the table (lists,
  // recovery at start) scans at most --keep rows, in milliseconds.
  private static final String TABLES =
      """
      CREATE TABLE deliveries (
        seq         INTEGER PRIMARY KEY,  -- arrival order, never reused (rows go oldest first)
        id          TEXT NOT NULL UNIQUE,
        received    INTEGER NOT NULL,     -- epoch milliseconds
        handler     TEXT NOT NULL,
        body        BLOB NOT NULL,        -- exactly as received
        headers     TEXT NOT NULL,        -- JSON object, lower-case names, secret removed
        status      TEXT NOT NULL,        -- queued, running, succeeded, failed, timed_out, filtered,
                                          -- debounced, superseded
        attempts    INTEGER NOT NULL,
        exit_status INTEGER,              -- of the latest attempt, as are the columns below
        duration_ms INTEGER,
        error       TEXT,
        output      TEXT,                 -- of the latest attempt that ended, as is stderr
        stderr      TEXT,
        attempt_trigger TEXT,             -- null before the first attempt
        attempt_started INTEGER,
        attempt_status  TEXT,             -- running, succeeded, failed, timed_out
        debounce_key    TEXT,             -- @debounce: the key value of a held delivery
        burst_started   INTEGER,          -- when the first delivery of its burst arrived
        due             INTEGER,          -- when it runs, unless a later one replaces it
        superseded_by   TEXT              -- the delivery that ran instead of this one
      );
      -- Every attempt but a delivery's latest, which its row holds: most deliveries have one
      -- attempt, and a row less to insert and delete costs less than the join it saves.
      CREATE TABLE attempts (
        delivery    TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        number      INTEGER NOT NULL,
        trigger     TEXT NOT NULL,        -- received, retry, recovery, replay
        started     INTEGER NOT NULL,
        status      TEXT NOT NULL,
        exit_status INTEGER,
        duration_ms INTEGER,
        error       TEXT,
        PRIMARY KEY (delivery, number)
      ) WITHOUT ROWID;
      -- How far the database has the write-ahead log's records: one row.
      CREATE TABLE log_applied (
        log_generation INTEGER NOT NULL,  -- the log file of the last record applied
        log_offset     INTEGER NOT NULL   -- the offset after it in that file
      );
      INSERT INTO log_applied VALUES (0, 0);
      """;

  private Schema() {}

  /**
   * Connects to the journal at {@code file}; {@code create} makes the file when missing, with the
   * page size and WAL mode a new journal needs.
   */
  static Connection connect(Path file, boolean create) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    if (!create) {
      config.resetOpenMode(SQLiteOpenMode.CREATE);
    }
    // FULL as opened, so that what open() commits (a new journal, a recovered log) is synced; the
    // writer then chooses per batch (Writer.commit()).
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
    // Not enforced: see Pruner. Attempts are only written for a delivery just found or inserted.
    config.enforceForeignKeys(false);
    Connection connection = config.createConnection("jdbc:sqlite:" + file);
    if (create) {
      // The page size first: a new file takes it only before anything is written, and switching
      // to WAL writes. A row is ~1.5 KB with its body, and 8 KB pages cost a fifth less per
      // delivery than the default 4 KB (fewer pages to split, link and log per row).
      execute(connection, "PRAGMA page_size = " + PAGE_SIZE);
      // WAL: readers (the landing page, deliveries) never block the writer, nor it them.
      execute(connection, "PRAGMA journal_mode = WAL");
    }
    return connection;
  }

  /**
   * Makes the tables of a new journal, or checks that an existing one is of this format; inside the
   * caller's transaction.
   */
  static void createOrCheck(Path file, Connection connection) throws SQLException {
    int version = userVersion(connection);
    if (version != 0) {
      check(file, version);
      checkIntact(file, connection);
      return;
    }
    try (Statement s = connection.createStatement()) {
      try (ResultSet tables =
          s.executeQuery("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")) {
        if (tables.next() && tables.getInt(1) > 0) {
          throw new JournalException(notAJournal(file, "it holds other tables"));
        }
      }
      for (String statement : TABLES.split(";\n", -1)) {
        if (!statement.isBlank()) {
          s.execute(statement);
        }
      }
      s.execute("PRAGMA user_version = " + VERSION);
    }
  }

  /** Checks that an existing journal, opened to read it only, is of this format. */
  static void checkReadable(Path file, Connection connection) throws SQLException {
    int version = userVersion(connection);
    if (version == 0) {
      throw new JournalException(notAJournal(file, "it has no deliveries table"));
    }
    check(file, version);
  }

  /**
   * Stops a damaged file at start (a page lost or overwritten), not at the first delivery that
   * reaches the damage with an error that does not say so. Reads every page once: milliseconds for
   * the journal {@code --keep} bounds.
   */
  private static void checkIntact(Path file, Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      try (ResultSet rs = s.executeQuery("PRAGMA quick_check(1)")) {
        String found = rs.next() ? rs.getString(1) : "no answer";
        if (!"ok".equals(found)) {
          String first = found.lines().findFirst().orElse("").strip();
          throw Errors.damaged(
              file, first.length() > 100 ? first.substring(0, 100) + "..." : first, null);
        }
      }
      // The tables as this version made them, to the letter: a damaged definition would otherwise
      // fail the first delivery with "no such column".
      Set<String> tables = new HashSet<>();
      try (ResultSet rs = s.executeQuery("SELECT sql FROM sqlite_schema WHERE type = 'table'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String statement : TABLES.split(";\n")) {
        int create = statement.indexOf("CREATE TABLE"); // after the comments before it
        if (create >= 0 && !tables.contains(statement.substring(create).strip())) {
          throw Errors.damaged(file, "its tables are not as hf-webhooks made them", null);
        }
      }
    }
  }

  private static void check(Path file, int version) {
    if (version > VERSION) {
      throw new JournalException(
          "the journal %s was written by a newer hf-webhooks (format %d; this one reads %d):"
                  .formatted(file, version, VERSION)
              + " upgrade, or pass another --data-dir");
    }
    if (version != VERSION) {
      throw new JournalException(
          notAJournal(file, "its format, %d, is unknown".formatted(version)));
    }
  }

  private static int userVersion(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }
}
