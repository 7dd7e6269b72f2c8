package dev.hfwebhooks.journal.postgres;

import dev.hfwebhooks.journal.Journal.Held;
import dev.hfwebhooks.journal.Journal.Pending;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Status;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code @debounce} keeps in the shared journal: a held delivery per handler and key, the ones
 * it replaced pointing at it. Any server may hold, and any may run it once due ({@link
 * PostgresJournal#claim}), so a burst spread over servers still runs once.
 */
final class PostgresHolds {
  private PostgresHolds() {}

  static Held hold(Connection c, NewDelivery delivery, String key, Duration wait, Duration max)
      throws SQLException {
    // Two servers holding deliveries of one burst at once must see each other's.
    try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
      lock.setString(1, "hf-webhooks debounce " + delivery.handler() + "\n" + key);
      lock.execute();
    }
    String superseded = null;
    Instant burst = delivery.received();
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT id, burst_started FROM hf_webhooks_deliveries WHERE status = 'debounced'"
                + " AND handler = ? AND debounce_key = ? FOR UPDATE")) {
      p.setString(1, delivery.handler());
      p.setString(2, key);
      try (ResultSet rs = p.executeQuery()) {
        if (rs.next()) {
          superseded = rs.getString(1);
          burst = PostgresRows.instant(rs, "burst_started");
        }
      }
    }
    Instant until = delivery.received().plus(wait);
    Instant due =
        (until.isBefore(burst.plus(max)) ? until : burst.plus(max)).truncatedTo(ChronoUnit.MILLIS);
    if (superseded != null) {
      try (PreparedStatement p =
          c.prepareStatement(
              "UPDATE hf_webhooks_deliveries SET status = 'superseded', superseded_by = ?,"
                  + " due = NULL, error = ? WHERE id = ? OR superseded_by = ?")) {
        p.setString(1, delivery.id());
        p.setString(2, "superseded by " + delivery.id() + " (@debounce)");
        p.setString(3, superseded);
        p.setString(4, superseded);
        p.executeUpdate();
      }
    }
    PostgresRows.insert(c, delivery, Status.DEBOUNCED);
    try (PreparedStatement p =
        c.prepareStatement(
            "UPDATE hf_webhooks_deliveries SET debounce_key = ?, burst_started = ?, due = ?,"
                + " error = ? WHERE id = ?")) {
      p.setString(1, key);
      p.setObject(2, PostgresRows.time(burst));
      p.setObject(3, PostgresRows.time(due));
      p.setString(4, "held by @debounce until " + due);
      p.setString(5, delivery.id());
      p.executeUpdate();
    }
    return new Held(due, superseded);
  }

  static boolean release(Connection c, String id) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "UPDATE hf_webhooks_deliveries SET status = 'queued', error = NULL, due = NULL"
                + " WHERE id = ? AND status = 'debounced'")) {
      p.setString(1, id);
      return p.executeUpdate() > 0;
    }
  }

  static List<Pending> held(Connection c) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT id, handler, due FROM hf_webhooks_deliveries WHERE status = 'debounced'"
                + " ORDER BY due")) {
      List<Pending> pending = new ArrayList<>();
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          pending.add(
              new Pending(rs.getString(1), rs.getString(2), PostgresRows.instant(rs, "due")));
        }
      }
      return pending;
    }
  }
}
