package dev.hfwebhooks.journal.sqlite;

import static dev.hfwebhooks.journal.sqlite.Statements.closeQuietly;
import static dev.hfwebhooks.journal.sqlite.Statements.execute;

import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Trigger;
import dev.hfwebhooks.journal.sqlite.Entry.Logged;
import dev.hfwebhooks.journal.sqlite.Entry.Write;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.sqlite.SQLiteException;

/**
 * Moves the write-ahead log's records into the database: a batch of the writer's, with its
 * waited-for writes in between, and at a start what the log of a server that died still holds. The
 * database records how far it has the log in the same transaction, so no record is applied twice.
 * Also where the log's files are found beside a journal, for the commands that move a stopped
 * serve's log in ({@code deliveries}, {@code replay}).
 */
final class LogApplier {
  private LogApplier() {}

  /** The folder the journal's file is in, where its log's files go too. */
  static Path folder(Path file) {
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null) {
      throw new IllegalArgumentException("a journal is a file in a folder, not " + file);
    }
    return parent;
  }

  /** Whether log files are beside the journal at {@code file}: a serve's, running or stopped. */
  static boolean logPresent(Path file) {
    try {
      return Files.isDirectory(folder(file))
          && !JournalLog.files(folder(file), SqliteJournal.LOG_PREFIX).isEmpty();
    } catch (IOException e) {
      return false; // and opening the journal says what is wrong with its folder
    }
  }

  /** Deletes the log's files, once the database has committed (and synced) what they hold. */
  static void deleteLog(Path file) throws IOException {
    for (Path old : JournalLog.files(folder(file), SqliteJournal.LOG_PREFIX)) {
      Files.delete(old);
    }
  }

  /**
   * Moves into the database what the log beside it holds, then deletes the log, as serve's start
   * does; the caller holds the data dir's lock. Fails, saying so, while the database cannot take it
   * (a disk still full): showing the deliveries without them would hide ones that were answered.
   */
  static void applyAndDelete(Path file) {
    Connection connection = null;
    try {
      connection = Schema.connect(file, true);
      Statements sql = new Statements(connection);
      execute(connection, "BEGIN IMMEDIATE");
      Schema.createOrCheck(file, connection);
      recover(file, sql);
      execute(connection, "COMMIT");
      deleteLog(file);
      sql.close();
    } catch (SQLException | IOException e) {
      closeQuietly(connection);
      throw new JournalException(
          ("the journal %s cannot take yet the deliveries the log beside it kept when serve stopped"
                  + " (%s): make room on its disk, then run this again (or serve, which moves them"
                  + " in first)")
              .formatted(
                  file,
                  e instanceof SQLiteException q ? q.getResultCode().message : e.getMessage()),
          e);
    }
  }

  /**
   * Applies the records of the log files the database does not have yet, inside the caller's
   * transaction, and returns the generation for the next log, which the database now names.
   */
  static long recover(Path file, Statements sql) throws SQLException, IOException {
    long appliedGeneration;
    long appliedOffset;
    try (ResultSet rs =
        sql.prepare("SELECT log_generation, log_offset FROM log_applied").executeQuery()) {
      rs.next();
      appliedGeneration = rs.getLong(1);
      appliedOffset = rs.getLong(2);
    }
    long next = appliedGeneration + 1;
    // The log goes on from the file the database stopped in (the first is 1), file after file, each
    // but the last ending with the mark that the log moved on: where a file is missing, or ends
    // without it (damaged, cut short), the records after are not applied without those before.
    long expected = Math.max(appliedGeneration, 1);
    boolean ended = false;
    for (Path path : JournalLog.files(folder(file), SqliteJournal.LOG_PREFIX)) {
      long generation = JournalLog.generation(path, SqliteJournal.LOG_PREFIX);
      next = Math.max(next, generation + 1);
      if (ended || generation == JournalLog.SPARE || generation != expected) {
        continue; // an old file, a spare, or one after where the log ended
      }
      JournalLog.Scan scan = JournalLog.read(path, generation);
      List<Entry> entries = new ArrayList<>();
      for (JournalLog.Read read : scan.records()) {
        if (generation > appliedGeneration || read.end().offset() > appliedOffset) {
          LogRecord record = LogRecord.decodeOrNull(read.record());
          if (record == null) {
            ended = true; // a record that does not read back is damaged like one that fails its CRC
            break;
          }
          entries.add(new Logged(record, read.end(), 0));
        }
      }
      apply(sql, entries, new ArrayList<>());
      ended |= !scan.movedOn();
      expected = generation + 1;
    }
    setApplied(sql, new JournalLog.Position(next, 0, 0));
    return next;
  }

  /**
   * Applies {@code batch} in order inside the caller's transaction: the logged records, and the
   * waited-for writes, whose results go to {@code results}. Within a run of logged records, a
   * delivery's writes fold together: one received, started and finished there (a delivery of
   * synchronous serve, or one a worker ran at once) is inserted as it ended, and an attempt started
   * and finished there is one update. Returns where the last logged record ends, or null when there
   * was none.
   */
  static JournalLog.@Nullable Position apply(
      Statements sql, List<Entry> batch, List<Object> results) throws SQLException {
    // What folds into what: only across logged records, as a waited-for write in between may read
    // or change the delivery.
    LogRecord.Started[] firstStart = new LogRecord.Started[batch.size()];
    LogRecord.Finished[] end = new LogRecord.Finished[batch.size()];
    boolean[] skip = new boolean[batch.size()];
    Map<String, Integer> open = new HashMap<>(); // per id, the record its next one may fold into
    for (int i = 0; i < batch.size(); i++) {
      if (!(batch.get(i) instanceof Logged logged)) {
        open.clear();
        continue;
      }
      LogRecord record = logged.record();
      int at = open.getOrDefault(record.deliveryId(), -1);
      LogRecord into = at < 0 ? null : ((Logged) batch.get(at)).record();
      if (record instanceof LogRecord.Received) {
        open.put(record.deliveryId(), i);
      } else if (record instanceof LogRecord.Started s) {
        if (into instanceof LogRecord.Received r
            && !r.running()
            && firstStart[at] == null
            && s.number() == 1) {
          firstStart[at] = s;
          skip[i] = true;
        } else {
          open.put(s.id(), i);
        }
      } else if (record instanceof LogRecord.Finished f) {
        open.remove(f.id());
        int number =
            into instanceof LogRecord.Received r
                ? (r.running() ? 1 : firstStart[at] == null ? -1 : firstStart[at].number())
                : into instanceof LogRecord.Started s ? s.number() : -1;
        if (number == f.number()) {
          end[at] = f;
          skip[i] = true;
        }
      }
    }
    JournalLog.@Nullable Position last = null;
    for (int i = 0; i < batch.size(); i++) {
      Entry entry = batch.get(i);
      if (entry instanceof Logged logged) {
        // Folded records too: the database has them, and a start after a crash must not apply a
        // Started again (it would add an attempt).
        last = logged.end();
      }
      if (skip[i]) {
        continue;
      }
      if (entry instanceof Write w) {
        RowWrites.flushInserts(sql);
        results.add(w.work().run(sql));
        continue;
      }
      Logged logged = (Logged) entry;
      LogRecord.Finished f = end[i];
      if (logged.record() instanceof LogRecord.Received r) {
        NewDelivery d = r.delivery();
        LogRecord.Started s = firstStart[i];
        if (r.running()) {
          RowWrites.insert(sql, d, Trigger.RECEIVED, d.received(), f, true);
        } else if (s != null) {
          RowWrites.insert(sql, d, s.trigger(), s.started(), f, true);
        } else {
          RowWrites.insert(sql, d, null, null, null, true);
        }
      } else {
        RowWrites.flushInserts(sql);
        // No such delivery below: removed by hand, or a journal replaced under the server. Nothing
        // is left to record it on, and refusing it would stop the log behind it.
        if (logged.record() instanceof LogRecord.Started s) {
          // Numbered by the database: another process may have taken s.number() meanwhile.
          RowWrites.startAttempt(
              sql,
              s.id(),
              s.trigger(),
              s.started(),
              f == null ? null : f.result(),
              f == null ? null : f.next());
        } else if (logged.record() instanceof LogRecord.Finished finished) {
          RowWrites.finish(
              sql,
              finished.id(),
              finished.number(),
              finished.started(),
              finished.result(),
              finished.next());
        }
      }
    }
    RowWrites.flushInserts(sql);
    if (last != null) {
      setApplied(sql, last);
    }
    return last;
  }

  /** Records, in the same transaction, that the database has the log up to {@code end}. */
  private static void setApplied(Statements sql, JournalLog.Position end) throws SQLException {
    PreparedStatement p = sql.prepare("UPDATE log_applied SET log_generation = ?, log_offset = ?");
    p.setLong(1, end.generation());
    p.setLong(2, end.offset());
    p.executeUpdate();
  }
}
