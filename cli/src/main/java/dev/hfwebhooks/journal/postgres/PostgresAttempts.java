package dev.hfwebhooks.journal.postgres;

import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.Columns;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal.Started;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An attempt's life in the tables: taken, started, ended. Each step a server takes on every
 * delivery is one SQL statement (its changes to both tables in data-modifying {@code WITH}
 * clauses), run as its own transaction: a round trip to the database is most of what a shared
 * journal costs per delivery, and a transaction of several statements takes one per statement and
 * one for the commit (bench/RESULTS.md, "Several servers").
 */
final class PostgresAttempts {
  private PostgresAttempts() {}

  /**
   * Takes up to {@code max} due deliveries, oldest first: queued and past any back-off, held by
   * {@code @debounce} past their time, or running on a server whose lease lapsed (that attempt is
   * recorded as interrupted). Each gets its next attempt on {@code server}. The partial index
   * hf_webhooks_waiting holds exactly the rows the first condition names; {@code SKIP LOCKED} lets
   * servers claiming at once each take others.
   */
  private static final String CLAIM =
      """
      WITH next AS (
        SELECT id, status, owner FROM hf_webhooks_deliveries
        WHERE status IN ('queued', 'running', 'debounced')
          AND ((status = 'queued' AND (not_before IS NULL OR not_before <= now()))
            OR (status = 'running' AND lease_until < now())
            OR (status = 'debounced' AND due <= now()))
        ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED),
      taken AS (
        UPDATE hf_webhooks_deliveries d SET status = 'running', attempts = d.attempts + 1,
          owner = ?, lease_until = now() + ?::interval, not_before = NULL, due = NULL,
          exit_status = NULL, duration_ms = NULL, error = NULL
        FROM next WHERE d.id = next.id
        RETURNING d.seq, d.id, d.received, d.handler, d.attempts, d.body, d.headers, d.output,
          d.stderr, next.status AS was, next.owner AS was_owner),
      lapsed AS (
        UPDATE hf_webhooks_attempts a SET status = 'failed', error = format(?, taken.was_owner)
        FROM taken WHERE taken.was = 'running' AND a.delivery = taken.id
          AND a.number = taken.attempts - 1 AND a.status = 'running'),
      started AS (
        INSERT INTO hf_webhooks_attempts (delivery, number, trigger, started, status, server)
        SELECT id, attempts, CASE WHEN was = 'running' THEN 'recovery'
            WHEN attempts > 1 THEN 'retry' ELSE 'received' END, ?, 'running', ?
        FROM taken)
      SELECT * FROM taken ORDER BY seq""";

  static List<Started> claim(Connection c, String server, int max) throws SQLException {
    Instant now = Instant.now();
    List<Started> claimed = new ArrayList<>();
    List<Integer> earlier = new ArrayList<>(); // indexes of those with attempts before this one
    try (PreparedStatement p = c.prepareStatement(CLAIM)) {
      p.setInt(1, max);
      p.setString(2, server);
      p.setString(3, PostgresRows.interval(Leases.LEASE));
      p.setString(4, Leases.INTERRUPTED);
      p.setObject(5, PostgresRows.time(now));
      p.setString(6, server);
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          int number = rs.getInt("attempts");
          Trigger trigger =
              rs.getString("was").equals("running")
                  ? Trigger.RECOVERY
                  : number > 1 ? Trigger.RETRY : Trigger.RECEIVED;
          Attempt attempt =
              new Attempt(
                  number,
                  trigger,
                  now.truncatedTo(ChronoUnit.MILLIS),
                  Status.RUNNING,
                  null,
                  null,
                  null,
                  server);
          byte[] body = rs.getBytes("body");
          DeliveryRecord record =
              new DeliveryRecord(
                  new DeliverySummary(
                      rs.getString("id"),
                      PostgresRows.instant(rs, "received"),
                      rs.getString("handler"),
                      Status.RUNNING,
                      number,
                      null,
                      null,
                      null),
                  body == null ? new byte[0] : body,
                  Columns.headers(rs.getString("headers")),
                  rs.getString("output"),
                  rs.getString("stderr"),
                  List.of(attempt));
          if (number > 1) {
            earlier.add(claimed.size());
          }
          claimed.add(new Started(number, record));
        }
      }
    }
    // A first attempt has no history; a retry's is read (retries are the rare case), after the
    // claim's commit, which is what a worker would see anyway.
    for (int i : earlier) {
      Started s = claimed.get(i);
      DeliveryRecord whole = PostgresRows.findExact(c, s.delivery().id()).orElseThrow();
      claimed.set(
          i,
          new Started(
              s.number(),
              new DeliveryRecord(
                  s.delivery().summary(),
                  s.delivery().body(),
                  s.delivery().headers(),
                  s.delivery().output(),
                  s.delivery().stderr(),
                  whole.attempts())));
    }
    return claimed;
  }

  /** Inserts a delivery that runs here at once, with its first attempt. */
  private static final String ACCEPT_RUNNING =
      """
      WITH d AS (
        INSERT INTO hf_webhooks_deliveries (id, received, handler, body, headers, status, attempts,
          owner, lease_until) VALUES (?, ?, ?, ?, ?, 'running', 1, ?, now() + ?::interval)
        RETURNING id)
      INSERT INTO hf_webhooks_attempts (delivery, number, trigger, started, status, server)
      SELECT id, 1, 'received', ?, 'running', ? FROM d""";

  static int acceptRunning(Connection c, NewDelivery d, String server) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(ACCEPT_RUNNING)) {
      int next = PostgresRows.bindNew(p, 1, d);
      p.setString(next, server);
      p.setString(next + 1, PostgresRows.interval(Leases.LEASE));
      p.setObject(next + 2, PostgresRows.time(Instant.now()));
      p.setString(next + 3, server);
      return p.executeUpdate();
    }
  }

  /**
   * Starts the next attempt of a delivery on {@code server}, whatever its state; its number, or -1
   * when there is no such delivery.
   */
  private static final String START =
      """
      WITH d AS (
        UPDATE hf_webhooks_deliveries SET status = 'running', attempts = attempts + 1,
          owner = ?, lease_until = now() + ?::interval, not_before = NULL,
          exit_status = NULL, duration_ms = NULL, error = NULL
        WHERE id = ? RETURNING id, attempts),
      a AS (
        INSERT INTO hf_webhooks_attempts (delivery, number, trigger, started, status, server)
        SELECT id, attempts, ?, ?, 'running', ? FROM d)
      SELECT attempts FROM d""";

  static int start(Connection c, String id, Trigger trigger, String server) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(START)) {
      p.setString(1, server);
      p.setString(2, PostgresRows.interval(Leases.LEASE));
      p.setString(3, id);
      p.setString(4, trigger.label());
      p.setObject(5, PostgresRows.time(Instant.now()));
      p.setString(6, server);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? rs.getInt(1) : -1;
      }
    }
  }

  /**
   * Ends an attempt, and moves its delivery on when it is the delivery's latest: an earlier one
   * that ends late (a replay's, or one another server took over) changes its own row alone. Counts
   * the rows changed in each table.
   */
  private static final String FINISH =
      """
      WITH a AS (
        UPDATE hf_webhooks_attempts SET status = ?, exit_status = ?, duration_ms = ?, error = ?
        WHERE delivery = ? AND number = ? RETURNING 1),
      d AS (
        UPDATE hf_webhooks_deliveries SET status = ?, exit_status = ?, duration_ms = ?,
          error = ?, output = ?, stderr = ?, owner = NULL, lease_until = NULL,
          not_before = now() + ?::interval
        WHERE id = ? AND attempts = ? RETURNING 1)
      SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM d)""";

  /** Whether there was such an attempt or delivery. */
  static boolean finish(
      Connection c,
      String id,
      int number,
      AttemptResult result,
      Status next,
      @Nullable Duration after)
      throws SQLException {
    try (PreparedStatement p = c.prepareStatement(FINISH)) {
      p.setString(1, result.status().label());
      PostgresRows.bindEnd(p, 2, result);
      p.setString(5, id);
      p.setInt(6, number);
      p.setString(7, next.label());
      PostgresRows.bindEnd(p, 8, result);
      p.setString(11, result.output());
      p.setString(12, result.stderr());
      p.setString(13, next == Status.QUEUED && after != null ? PostgresRows.interval(after) : null);
      p.setString(14, id);
      p.setInt(15, number);
      try (ResultSet rs = p.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0 || rs.getLong(2) > 0;
      }
    }
  }
}
