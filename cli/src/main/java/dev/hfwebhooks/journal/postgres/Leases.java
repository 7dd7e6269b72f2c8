package dev.hfwebhooks.journal.postgres;

import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.Retention;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A server's hold on the deliveries it runs, kept alive by a heart-beat thread, which also removes
 * old deliveries when due, one server at a time.
 */
final class Leases implements AutoCloseable {
  /**
   * How long a server holds a delivery it runs without renewing: long enough to ride out a database
   * fail-over or a stalled network (two heart-beats missed), short enough that a dead server's
   * deliveries run again within a minute.
   */
  static final Duration LEASE = Duration.ofSeconds(30);

  /** How often a server renews its leases. */
  static final Duration HEARTBEAT = Duration.ofSeconds(10);

  /** Any number, the same in every hf-webhooks: the advisory lock only one pruner holds. */
  private static final long PRUNE_LOCK = 0x6866_7768_0002L;

  static final String INTERRUPTED = "interrupted: the server %s stopped during this attempt";

  private final Database db;
  private final String server;

  /** Null for {@code replay}, which leaves removing to serve. */
  private final @Nullable Retention retention;

  private final ScheduledExecutorService beats;
  private final AtomicLong insertedSincePrune = new AtomicLong();

  /**
   * The attempts this server runs ("id number"): only their leases are renewed. An attempt whose
   * end could not be recorded (the database was away) leaves the set, so that its lease lapses and
   * the delivery runs again, rather than stay running under a live server's lease for ever.
   */
  private final Set<String> running = ConcurrentHashMap.newKeySet();

  private volatile long lastPrune = System.nanoTime();

  @SuppressWarnings("FutureReturnValueIgnored") // beat() catches its failures; close() stops it
  Leases(Database db, String server, @Nullable Retention retention) {
    this.db = db;
    this.server = server;
    this.retention = retention;
    beats =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("hf-webhooks-lease").factory());
    beats.scheduleWithFixedDelay(
        this::beat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Keeps the lease of attempt {@code number} of {@code id} alive until {@link #ended}. */
  void running(String id, int number) {
    running.add(id + " " + number);
  }

  /** Lets the lease of an attempt lapse, whether its end was recorded or not. */
  void ended(String id, int number) {
    running.remove(id + " " + number);
  }

  /** Counts a delivery inserted, towards the next prune by count. */
  void inserted() {
    insertedSincePrune.incrementAndGet();
  }

  /**
   * Renews this server's leases, then prunes when due. A failure is tried again at the next beat;
   * should the database stay away longer than the lease, other servers may run this server's
   * deliveries again (at least once).
   */
  void beat() {
    try {
      String[] ids =
          running.stream().map(a -> a.substring(0, a.indexOf(' '))).toArray(String[]::new);
      if (ids.length > 0) {
        db.statement(
            false,
            c -> {
              try (PreparedStatement p =
                  c.prepareStatement(
                      "UPDATE hf_webhooks_deliveries SET lease_until = now() + ?::interval"
                          + " WHERE owner = ? AND status = 'running' AND id = ANY (?)")) {
                p.setString(1, PostgresRows.interval(LEASE));
                p.setString(2, server);
                p.setArray(3, c.createArrayOf("text", ids));
                return p.executeUpdate();
              }
            });
      }
      if (pruneDue()) {
        prune();
      }
    } catch (RuntimeException e) {
      // Tried again at the next beat; requests meanwhile fail on their own (503). Any failure:
      // one that escaped would end the scheduled beats for good, and with them every lease.
    }
  }

  /**
   * Prunes now when due, after a delivery was inserted: as the SQLite journal does, once another
   * tenth of the count kept has come in (by age: once a minute). A failure is left to the next.
   */
  void pruneIfDue() {
    if (pruneDue()) {
      try {
        prune();
      } catch (JournalException e) {
        // The delivery is recorded; the next insert or heart-beat prunes.
      }
    }
  }

  private boolean pruneDue() {
    if (retention == null) {
      return false;
    }
    return retention.age() != null
        ? System.nanoTime() - lastPrune > TimeUnit.MINUTES.toNanos(1)
        : insertedSincePrune.get() >= Math.max(1, retention.count() / 10);
  }

  /**
   * Removes finished deliveries beyond what is kept (their attempts go with them); never a queued,
   * running or held one. One server at a time: the others skip while one holds the lock.
   */
  void prune() {
    if (retention == null) {
      return;
    }
    insertedSincePrune.set(0);
    lastPrune = System.nanoTime();
    db.execute(
        c -> {
          try (PreparedStatement lock =
                  c.prepareStatement("SELECT pg_try_advisory_xact_lock(" + PRUNE_LOCK + ")");
              ResultSet rs = lock.executeQuery()) {
            if (!rs.next() || !rs.getBoolean(1)) {
              return; // another server prunes
            }
          }
          // By arrival order: the newest N are those from the N-th newest on.
          String old =
              retention.age() != null
                  ? "received < now() - ?::interval"
                  : "seq <= (SELECT seq FROM hf_webhooks_deliveries ORDER BY seq DESC"
                      + " OFFSET ? LIMIT 1)";
          try (PreparedStatement p =
              c.prepareStatement(
                  "DELETE FROM hf_webhooks_deliveries WHERE "
                      + old
                      + " AND status NOT IN ('queued', 'running', 'debounced')")) {
            if (retention.age() != null) {
              p.setString(1, PostgresRows.interval(retention.age()));
            } else {
              p.setLong(1, retention.count());
            }
            p.executeUpdate();
          }
        });
  }

  /**
   * Stops renewing, and lets go at once of what this server still runs (a handler that would not
   * stop): its lease ends now, so that the next claim of another server runs it again, as it would
   * once the lease lapsed.
   */
  @Override
  public void close() {
    beats.shutdownNow();
    try {
      db.execute(
          c -> {
            try (PreparedStatement p =
                c.prepareStatement(
                    "UPDATE hf_webhooks_deliveries SET lease_until = now() - interval '1 millisecond'"
                        + " WHERE owner = ? AND status = 'running'")) {
              p.setString(1, server);
              p.executeUpdate();
            }
          });
    } catch (JournalException e) {
      // The database is away: the leases lapse by themselves.
    }
  }
}
