package dev.hfwebhooks.journal.sqlite;

import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.Journal.Held;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import dev.hfwebhooks.payload.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The SQL that writes a delivery's row and its attempts, run by the writer thread inside its
 * transaction: a delivery's latest attempt is in its row, the earlier ones in the attempts table.
 */
final class RowWrites {
  private static final String INTERRUPTED = "interrupted: the server stopped during this attempt";

  private static final String INSERT_DELIVERY =
      "INSERT INTO deliveries (id, received, handler, body, headers, status, attempts, exit_status,"
          + " duration_ms, error, output, stderr, attempt_trigger, attempt_started, attempt_status)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private RowWrites() {}

  /**
   * Inserts a delivery: queued ({@code trigger} null), or with its first attempt, started at {@code
   * started}, running or, when {@code finished} is not null, ended. {@code batched} adds it to the
   * statement's batch, which {@link #flushInserts} runs.
   */
  static void insert(
      Statements sql,
      NewDelivery d,
      @Nullable Trigger trigger,
      @Nullable Instant started,
      LogRecord.@Nullable Finished finished,
      boolean batched)
      throws SQLException {
    AttemptResult result = finished == null ? null : finished.result();
    Status status =
        trigger == null ? Status.QUEUED : finished == null ? Status.RUNNING : finished.next();
    PreparedStatement insert = sql.prepare(INSERT_DELIVERY);
    insert.setString(1, d.id());
    insert.setLong(2, d.received().toEpochMilli());
    insert.setString(3, d.handler());
    insert.setBytes(4, d.body());
    insert.setString(5, Json.write(d.headers()));
    insert.setString(6, status.label());
    insert.setInt(7, trigger == null ? 0 : 1);
    bindEnd(insert, 8, result);
    insert.setString(11, result == null ? null : result.output());
    insert.setString(12, result == null ? null : result.stderr());
    insert.setString(13, trigger == null ? null : trigger.label());
    if (trigger == null) {
      insert.setNull(14, Types.INTEGER);
      insert.setString(15, null);
    } else {
      insert.setLong(14, Objects.requireNonNull(started, "a started attempt").toEpochMilli());
      insert.setString(15, result == null ? Status.RUNNING.label() : result.status().label());
    }
    if (batched) {
      insert.addBatch();
    } else {
      insert.executeUpdate();
    }
  }

  /**
   * Runs the inserts batched so far. The driver steps a batch without the per-statement work of
   * {@code executeUpdate}, a third less per delivery.
   */
  static void flushInserts(Statements sql) throws SQLException {
    sql.prepare(INSERT_DELIVERY).executeBatch();
  }

  /**
   * Moves the delivery's latest attempt, if any, to the attempts table and starts the next, which
   * ended already when {@code result} is not null (a start and its end applied from the log
   * together). Returns the attempt's number, 0 when there is no such delivery.
   */
  static int startAttempt(
      Statements sql,
      String id,
      Trigger trigger,
      Instant started,
      @Nullable AttemptResult result,
      @Nullable Status next)
      throws SQLException {
    PreparedStatement find = sql.prepare("SELECT attempts FROM deliveries WHERE id = ?");
    find.setString(1, id);
    int number;
    try (ResultSet rs = find.executeQuery()) {
      if (!rs.next()) {
        return 0;
      }
      number = rs.getInt(1) + 1;
    }
    PreparedStatement earlier =
        sql.prepare(
            "INSERT OR REPLACE INTO attempts (delivery, number, trigger, started, status,"
                + " exit_status, duration_ms, error) SELECT id, attempts, attempt_trigger,"
                + " attempt_started, attempt_status, exit_status, duration_ms, error FROM"
                + " deliveries WHERE id = ? AND attempt_trigger IS NOT NULL");
    earlier.setString(1, id);
    earlier.executeUpdate();
    PreparedStatement update =
        sql.prepare(
            "UPDATE deliveries SET attempts = ?, attempt_trigger = ?, attempt_started = ?,"
                + " status = 'running', attempt_status = 'running', exit_status = NULL,"
                + " duration_ms = NULL, error = NULL WHERE id = ?");
    update.setInt(1, number);
    update.setString(2, trigger.label());
    update.setLong(3, started.toEpochMilli());
    update.setString(4, id);
    update.executeUpdate();
    if (result != null && next != null) {
      finish(sql, id, number, null, result, next);
    }
    return number;
  }

  /**
   * Records how attempt {@code number} ended; false when there is no such attempt. The latest
   * attempt is the delivery's row, and it sets the delivery's status; an earlier one (a run another
   * process started after it, a replay say) changes only its own row. With {@code started} (an
   * attempt whose start was logged) the attempt must have started then; if attempt {@code number}
   * did not, another process took that number before the start reached the database, and the
   * attempt is the one that started then.
   */
  static boolean finish(
      Statements sql,
      String id,
      int number,
      @Nullable Instant started,
      AttemptResult result,
      Status next)
      throws SQLException {
    if (endLatest(sql, id, number, started, result, next)
        || endEarlier(sql, id, number, started, result)) {
      return true;
    }
    return started != null
        && (endLatest(sql, id, 0, started, result, next)
            || endEarlier(sql, id, 0, started, result));
  }

  /**
   * Ends the delivery's latest attempt if it is attempt {@code number} (any, for 0) and started at
   * {@code started} (any time, for null).
   */
  private static boolean endLatest(
      Statements sql,
      String id,
      int number,
      @Nullable Instant started,
      AttemptResult result,
      Status next)
      throws SQLException {
    PreparedStatement delivery =
        sql.prepare(
            "UPDATE deliveries SET status = ?, exit_status = ?, duration_ms = ?, error = ?,"
                + " output = ?, stderr = ?, attempt_status = ? WHERE id = ?"
                + (number > 0 ? " AND attempts = ?" : "")
                + (started != null ? " AND attempt_started = ?" : ""));
    delivery.setString(1, next.label());
    bindEnd(delivery, 2, result);
    delivery.setString(5, result.output());
    delivery.setString(6, result.stderr());
    delivery.setString(7, result.status().label());
    delivery.setString(8, id);
    bindAttempt(delivery, 9, number, started);
    return delivery.executeUpdate() > 0;
  }

  /** As {@link #endLatest}, for an earlier attempt, which changes only its own row. */
  private static boolean endEarlier(
      Statements sql, String id, int number, @Nullable Instant started, AttemptResult result)
      throws SQLException {
    PreparedStatement attempt =
        sql.prepare(
            "UPDATE attempts SET status = ?, exit_status = ?, duration_ms = ?, error = ?"
                + " WHERE delivery = ?"
                + (number > 0 ? " AND number = ?" : "")
                + (started != null ? " AND started = ?" : ""));
    attempt.setString(1, result.status().label());
    bindEnd(attempt, 2, result);
    attempt.setString(5, id);
    bindAttempt(attempt, 6, number, started);
    return attempt.executeUpdate() > 0;
  }

  /** Binds what {@link #endLatest} and {@link #endEarlier} add for the number and the start. */
  private static void bindAttempt(
      PreparedStatement p, int at, int number, @Nullable Instant started) throws SQLException {
    if (number > 0) {
      p.setInt(at++, number);
    }
    if (started != null) {
      p.setLong(at, started.toEpochMilli());
    }
  }

  /**
   * Binds how an attempt ended to the columns exit_status, duration_ms and error, which both tables
   * keep in that order from {@code at} on: all null while it runs ({@code result} null).
   */
  private static void bindEnd(PreparedStatement p, int at, @Nullable AttemptResult result)
      throws SQLException {
    if (result == null || result.exitStatus() == null) {
      p.setNull(at, Types.INTEGER);
    } else {
      p.setInt(at, result.exitStatus());
    }
    if (result == null) {
      p.setNull(at + 1, Types.INTEGER);
    } else {
      p.setLong(at + 1, result.durationMs());
    }
    p.setString(at + 2, result == null ? null : result.error());
  }

  /**
   * Takes back what a server that stopped or died left running: queued again, its last attempt
   * recorded as interrupted. Returns every queued delivery, oldest first.
   */
  static List<DeliverySummary> recover(Statements sql) throws SQLException {
    PreparedStatement attempts =
        sql.prepare("UPDATE attempts SET status = 'failed', error = ? WHERE status = 'running'");
    attempts.setString(1, INTERRUPTED);
    attempts.executeUpdate();
    PreparedStatement deliveries =
        sql.prepare(
            "UPDATE deliveries SET status = 'queued', attempt_status = 'failed', error = ?"
                + " WHERE status = 'running'");
    deliveries.setString(1, INTERRUPTED);
    deliveries.executeUpdate();
    return RowReads.summaries(
        sql.prepare(RowReads.SUMMARY + " FROM deliveries WHERE status = 'queued' ORDER BY seq"));
  }

  /** Inserts a delivery held by {@code @debounce}: see {@link Journal#hold}. */
  static Held hold(Statements sql, NewDelivery delivery, String key, Duration wait, Duration max)
      throws SQLException {
    PreparedStatement pending =
        sql.prepare(
            "SELECT id, burst_started FROM deliveries WHERE status = 'debounced'"
                + " AND handler = ? AND debounce_key = ?");
    pending.setString(1, delivery.handler());
    pending.setString(2, key);
    String superseded = null;
    long burst = delivery.received().toEpochMilli();
    try (ResultSet rs = pending.executeQuery()) {
      if (rs.next()) {
        superseded = rs.getString(1);
        burst = rs.getLong(2);
      }
    }
    Instant due =
        Instant.ofEpochMilli(
            Math.min(
                delivery.received().plus(wait).toEpochMilli(),
                Instant.ofEpochMilli(burst).plus(max).toEpochMilli()));
    if (superseded != null) {
      PreparedStatement replace =
          sql.prepare(
              "UPDATE deliveries SET status = 'superseded', superseded_by = ?1, due = NULL,"
                  + " error = ?2 WHERE id = ?3 OR superseded_by = ?3");
      replace.setString(1, delivery.id());
      replace.setString(2, "superseded by " + delivery.id() + " (@debounce)");
      replace.setString(3, superseded);
      replace.executeUpdate();
    }
    insert(sql, delivery, null, null, null, false);
    PreparedStatement held =
        sql.prepare(
            "UPDATE deliveries SET status = 'debounced', debounce_key = ?, burst_started = ?,"
                + " due = ?, error = ? WHERE id = ?");
    held.setString(1, key);
    held.setLong(2, burst);
    held.setLong(3, due.toEpochMilli());
    held.setString(4, "held by @debounce until " + due);
    held.setString(5, delivery.id());
    held.executeUpdate();
    return new Held(due, superseded);
  }

  /** Queues a held delivery if it is still held; whether it was. */
  static boolean release(Statements sql, String id) throws SQLException {
    PreparedStatement release =
        sql.prepare(
            "UPDATE deliveries SET status = 'queued', error = NULL"
                + " WHERE id = ? AND status = 'debounced'");
    release.setString(1, id);
    return release.executeUpdate() > 0;
  }
}
