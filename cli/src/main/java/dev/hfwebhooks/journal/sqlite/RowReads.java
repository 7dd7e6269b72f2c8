package dev.hfwebhooks.journal.sqlite;

import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.Columns;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal.Pending;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The SQL that reads deliveries back, inside whichever transaction the caller holds. */
final class RowReads {
  static final String SUMMARY =
      "SELECT seq, id, received, handler, status, attempts, exit_status, duration_ms, error";

  private RowReads() {}

  /** The delivery {@code id}, or else the only one whose id starts with it. */
  static Optional<DeliveryRecord> find(Statements sql, String id) throws SQLException {
    Optional<DeliveryRecord> exact = byId(sql, id);
    if (exact.isPresent() || id.isEmpty()) {
      return exact;
    }
    // A scan, not the id's index: a prefix is what a person types, rarely, and the table holds at
    // most --keep rows.
    PreparedStatement p =
        sql.prepare("SELECT id FROM deliveries WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2");
    p.setString(1, id);
    List<String> matches = new ArrayList<>();
    try (ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        matches.add(rs.getString(1));
      }
    }
    return matches.size() == 1 ? byId(sql, matches.getFirst()) : Optional.empty();
  }

  /** The delivery {@code id} (its whole id), with every attempt. */
  static Optional<DeliveryRecord> byId(Statements sql, String id) throws SQLException {
    PreparedStatement p =
        sql.prepare(
            SUMMARY
                + ", body, headers, output, stderr, attempt_trigger, attempt_started,"
                + " attempt_status FROM deliveries WHERE id = ?");
    p.setString(1, id);
    DeliverySummary summary;
    byte[] body;
    String headers;
    String output;
    String stderr;
    Attempt latest = null;
    try (ResultSet rs = p.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      summary = summary(rs);
      body = rs.getBytes("body");
      headers = rs.getString("headers");
      output = rs.getString("output");
      stderr = rs.getString("stderr");
      String trigger = rs.getString("attempt_trigger");
      if (trigger != null) {
        latest =
            new Attempt(
                summary.attempts(),
                Trigger.parse(trigger),
                Instant.ofEpochMilli(rs.getLong("attempt_started")),
                Status.parse(rs.getString("attempt_status")),
                summary.exitStatus(),
                summary.durationMs(),
                summary.error());
      }
    }
    PreparedStatement a =
        sql.prepare(
            "SELECT number, trigger, started, status, exit_status, duration_ms, error"
                + " FROM attempts WHERE delivery = ? ORDER BY number");
    a.setString(1, id);
    List<Attempt> attempts = new ArrayList<>();
    try (ResultSet rs = a.executeQuery()) {
      while (rs.next()) {
        attempts.add(
            new Attempt(
                rs.getInt("number"),
                Trigger.parse(rs.getString("trigger")),
                Instant.ofEpochMilli(rs.getLong("started")),
                Status.parse(rs.getString("status")),
                Columns.integer(rs, "exit_status"),
                Columns.longOrNull(rs, "duration_ms"),
                rs.getString("error")));
      }
    }
    if (latest != null) {
      attempts.add(latest);
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

  /** Deliveries newest first. */
  static List<DeliverySummary> list(Statements sql, Query query) throws SQLException {
    StringBuilder select = new StringBuilder(SUMMARY).append(" FROM deliveries WHERE 1");
    if (query.handler() != null) {
      select.append(" AND handler = ?");
    }
    if (query.status() != null) {
      select.append(" AND status = ?");
    }
    select.append(" ORDER BY seq DESC LIMIT ?");
    PreparedStatement p = sql.prepare(select.toString());
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

  /** The deliveries {@code @debounce} holds, soonest due first. */
  static List<Pending> held(Statements sql) throws SQLException {
    PreparedStatement p =
        sql.prepare(
            "SELECT id, handler, due FROM deliveries WHERE status = 'debounced' ORDER BY due");
    List<Pending> pending = new ArrayList<>();
    try (ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        pending.add(
            new Pending(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3))));
      }
    }
    return pending;
  }

  /** The rows {@code p} selects with {@link #SUMMARY}'s columns. */
  static List<DeliverySummary> summaries(PreparedStatement p) throws SQLException {
    List<DeliverySummary> list = new ArrayList<>();
    try (ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        list.add(summary(rs));
      }
    }
    return list;
  }

  private static DeliverySummary summary(ResultSet rs) throws SQLException {
    return new DeliverySummary(
        rs.getString("id"),
        Instant.ofEpochMilli(rs.getLong("received")),
        rs.getString("handler"),
        Status.parse(rs.getString("status")),
        rs.getInt("attempts"),
        Columns.integer(rs, "exit_status"),
        Columns.longOrNull(rs, "duration_ms"),
        rs.getString("error"));
  }
}
