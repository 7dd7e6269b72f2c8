package dev.hfwebhooks.journal.sqlite;

import dev.hfwebhooks.journal.Retention;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Removes the finished deliveries {@code --keep} no longer keeps, with their attempts; never a
 * queued, running or held one. At open, then from the writer thread as deliveries come in.
 */
final class Pruner {
  /** What is kept; null keeps everything ({@code replay} leaves removing to serve). */
  private final @Nullable Retention retention;

  /** Deliveries inserted since the last prune (writer thread only). */
  private long insertedSincePrune;

  /** When the last prune by age ran (writer thread only). */
  private long lastAgePrune = System.nanoTime();

  Pruner(@Nullable Retention retention) {
    this.retention = retention;
  }

  /**
   * Removes what is not kept, inside the caller's transaction. The attempts go by hand: SQLite's ON
   * DELETE CASCADE looks them up once per delivery, which doubled what a removal costs, so the
   * connections do not enforce foreign keys.
   */
  void prune(Connection connection) throws SQLException {
    if (retention == null) {
      return;
    }
    // Arrival order is time order (seq grows by one per delivery, rows go oldest first), so what
    // is too old is a range on the primary key: below the first delivery young enough, or the
    // newest N are those above max - N.
    String old =
        retention.age() != null
            ? "seq < coalesce((SELECT seq FROM deliveries WHERE received >= ?1 ORDER BY seq"
                + " LIMIT 1), (SELECT max(seq) + 1 FROM deliveries))"
            : "seq <= (SELECT max(seq) FROM deliveries) - ?1";
    String removed = old + " AND status NOT IN ('queued', 'running', 'debounced')";
    long bound =
        retention.age() != null
            ? Instant.now().minus(retention.age()).toEpochMilli()
            : retention.count();
    for (String sql :
        List.of(
            // Only a delivery run more than once has rows there: the latest is in its own row.
            "DELETE FROM attempts WHERE delivery IN (SELECT id FROM deliveries WHERE "
                + removed
                + " AND attempts > 1)",
            "DELETE FROM deliveries WHERE " + removed)) {
      try (PreparedStatement p = connection.prepareStatement(sql)) {
        p.setLong(1, bound);
        p.executeUpdate();
      }
    }
  }

  /**
   * Counts {@code inserted} deliveries and prunes when it is due, inside the writer's transaction.
   * Each removal writes pages of its own, so it runs once a tenth of the count kept has come in
   * (the journal holds at most 10 % more than --keep for a while), or once a minute when kept by
   * age.
   */
  void afterInserts(Connection connection, long inserted) throws SQLException {
    if (retention == null || inserted == 0) {
      return;
    }
    insertedSincePrune += inserted;
    boolean due =
        retention.age() != null
            ? System.nanoTime() - lastAgePrune > TimeUnit.MINUTES.toNanos(1)
            : insertedSincePrune >= Math.max(1, retention.count() / 10);
    if (due) {
      insertedSincePrune = 0;
      lastAgePrune = System.nanoTime();
      prune(connection);
    }
  }
}
