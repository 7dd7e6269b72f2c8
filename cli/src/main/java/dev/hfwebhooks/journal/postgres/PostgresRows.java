package dev.hfwebhooks.journal.postgres;

import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.Columns;
import dev.hfwebhooks.journal.DeliveryBusy;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import dev.hfwebhooks.payload.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** How the journal's records map to the tables' rows, and the reads. */
final class PostgresRows {
  static final String SUMMARY =
      "SELECT id, received, handler, status, attempts, exit_status, duration_ms, error";

  private PostgresRows() {}

  /**
   * An instant as stored: milliseconds, as the SQLite journal keeps them, so that both read back
   * the same.
   */
  /**
   * Before a replay starts: throws {@link DeliveryBusy} when a server has delivery {@code id}
   * queued, or running under a lease still renewed; false when there is no such delivery. The row
   * stays locked until the transaction ends, and a server's claim skips a locked row, so none takes
   * the delivery between this check and the replay's start. One running under a lease that lapsed
   * is no server's any more: the replay may take it, as a claim would.
   */
  static boolean refuseIfBusy(Connection c, String id, PostgresUrl url) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT status, lease_until >= now(), owner FROM hf_webhooks_deliveries"
                + " WHERE id = ? FOR UPDATE")) {
      p.setString(1, id);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          return false;
        }
        Status status = Status.parse(rs.getString(1));
        if (status == Status.QUEUED) {
          throw new DeliveryBusy(id, status, url + ", where a server runs it next");
        }
        if (status == Status.RUNNING && rs.getBoolean(2)) {
          throw new DeliveryBusy(id, status, "server " + rs.getString(3) + " of " + url);
        }
        return true;
      }
    }
  }

  static OffsetDateTime time(Instant instant) {
    return OffsetDateTime.ofInstant(instant.truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC);
  }

  /** A time that the row has by then (NOT NULL, or set in the state read). */
  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime time = rs.getObject(column, OffsetDateTime.class);
    if (time == null) {
      throw new SQLException("the journal's row has no " + column);
    }
    return time.toInstant();
  }

  /** Binds exit_status, duration_ms and error from {@code at} on: null while running. */
  static void bindEnd(PreparedStatement p, int at, AttemptResult result) throws SQLException {
    if (result == null || result.exitStatus() == null) {
      p.setNull(at, Types.INTEGER);
    } else {
      p.setInt(at, result.exitStatus());
    }
    if (result == null) {
      p.setNull(at + 1, Types.BIGINT);
    } else {
      p.setLong(at + 1, result.durationMs());
    }
    p.setString(at + 2, result == null ? null : result.error());
  }

  private static final String INSERT =
      "INSERT INTO hf_webhooks_deliveries (id, received, handler, body, headers, status,"
          + " attempts) VALUES (?, ?, ?, ?, ?, ?, 0)";

  /** Inserts a delivery that waits as {@code status} (queued, or held by {@code @debounce}). */
  static int insert(Connection c, NewDelivery d, Status status) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(INSERT)) {
      p.setString(bindNew(p, 1, d), status.label());
      return p.executeUpdate();
    }
  }

  /**
   * Binds a new delivery's id, received, handler, body and headers from {@code at} on; returns the
   * index after them.
   */
  static int bindNew(PreparedStatement p, int at, NewDelivery d) throws SQLException {
    p.setString(at, d.id());
    p.setObject(at + 1, time(d.received()));
    p.setString(at + 2, d.handler());
    p.setBytes(at + 3, d.body());
    p.setString(at + 4, Json.write(d.headers()));
    return at + 5;
  }

  /** A duration as PostgreSQL reads an interval. */
  static String interval(Duration duration) {
    return duration.toMillis() + " milliseconds";
  }

  /** A delivery by its id, or by a prefix of it that matches no other. */
  static Optional<DeliveryRecord> find(Connection c, String idOrPrefix) throws SQLException {
    String id = idOrPrefix;
    try (PreparedStatement p =
        c.prepareStatement(
            "(SELECT id FROM hf_webhooks_deliveries WHERE id = ?) UNION ALL"
                + " (SELECT id FROM hf_webhooks_deliveries WHERE starts_with(id, ?) AND id <> ?"
                + " LIMIT 2) LIMIT 2")) {
      p.setString(1, idOrPrefix);
      p.setString(2, idOrPrefix);
      p.setString(3, idOrPrefix);
      try (ResultSet rs = p.executeQuery()) {
        List<String> found = new ArrayList<>();
        while (rs.next()) {
          found.add(rs.getString(1));
        }
        if (found.isEmpty() || (found.size() > 1 && !found.getFirst().equals(idOrPrefix))) {
          return Optional.empty();
        }
        id = found.getFirst();
      }
    }
    return findExact(c, id);
  }

  /** A delivery by its whole id: what a worker that just started it reads. */
  static Optional<DeliveryRecord> findExact(Connection c, String id) throws SQLException {
    DeliverySummary summary;
    byte[] body;
    String headers;
    String output;
    String stderr;
    try (PreparedStatement p =
        c.prepareStatement(
            SUMMARY + ", body, headers, output, stderr FROM hf_webhooks_deliveries WHERE id = ?")) {
      p.setString(1, id);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        summary = summary(rs);
        body = rs.getBytes("body");
        headers = rs.getString("headers");
        output = rs.getString("output");
        stderr = rs.getString("stderr");
      }
    }
    List<Attempt> attempts = new ArrayList<>();
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT number, trigger, started, status, exit_status, duration_ms, error, server"
                + " FROM hf_webhooks_attempts WHERE delivery = ? ORDER BY number")) {
      p.setString(1, id);
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          attempts.add(
              new Attempt(
                  rs.getInt("number"),
                  Trigger.parse(rs.getString("trigger")),
                  instant(rs, "started"),
                  Status.parse(rs.getString("status")),
                  Columns.integer(rs, "exit_status"),
                  Columns.longOrNull(rs, "duration_ms"),
                  rs.getString("error"),
                  rs.getString("server")));
        }
      }
    }
    return Optional.of(
        new DeliveryRecord(
            summary,
            body == null ? new byte[0] : body,
            Columns.headers(headers),
            output,
            stderr,
            attempts));
  }

  static List<DeliverySummary> list(Connection c, Query query) throws SQLException {
    StringBuilder select = new StringBuilder(SUMMARY).append(" FROM hf_webhooks_deliveries");
    List<String> where = new ArrayList<>();
    if (query.handler() != null) {
      where.add("handler = ?");
    }
    if (query.status() != null) {
      where.add("status = ?");
    }
    if (!where.isEmpty()) {
      select.append(" WHERE ").append(String.join(" AND ", where));
    }
    select.append(" ORDER BY seq DESC LIMIT ?");
    try (PreparedStatement p = c.prepareStatement(select.toString())) {
      int i = 1;
      if (query.handler() != null) {
        p.setString(i++, query.handler());
      }
      if (query.status() != null) {
        p.setString(i++, query.status().label());
      }
      p.setInt(i, query.limit());
      return summaries(p);
    }
  }

  static List<DeliverySummary> summaries(PreparedStatement p) throws SQLException {
    List<DeliverySummary> list = new ArrayList<>();
    try (ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        list.add(summary(rs));
      }
    }
    return list;
  }

  static DeliverySummary summary(ResultSet rs) throws SQLException {
    return new DeliverySummary(
        rs.getString("id"),
        instant(rs, "received"),
        rs.getString("handler"),
        Status.parse(rs.getString("status")),
        rs.getInt("attempts"),
        Columns.integer(rs, "exit_status"),
        Columns.longOrNull(rs, "duration_ms"),
        rs.getString("error"));
  }
}
