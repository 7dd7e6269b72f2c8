package dev.hfwebhooks.journal.postgres;

import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The journal in a PostgreSQL database that several servers share. Each write is one transaction,
 * committed before it returns, so that a crash of the server loses none. As with the SQLite
 * journal, only what an acknowledgement promises ({@link #enqueue}, {@link #hold}) waits for the
 * database's disk too; after a crash of the database itself the last other writes may be missing,
 * which at worst runs a delivery once more.
 *
 * <p>Any server takes any due delivery with {@link #claim}: the oldest, locked with {@code FOR
 * UPDATE SKIP LOCKED} so that servers claiming at once each get another. A server holds what it
 * runs under a lease ({@link Leases}) that its heart-beat renews while the process lives, however
 * long the handler runs; when a server dies (kill -9, a lost network, a machine gone) its leases
 * lapse and the next claim of another server runs those deliveries again (at least once). A server
 * that stops cleanly hands its unfinished deliveries back at once.
 */
public final class PostgresJournal implements Journal {
  /** How long a server holds a delivery it runs without renewing the lease. */
  public static final Duration LEASE = Leases.LEASE;

  /** How often a server renews its leases. */
  public static final Duration HEARTBEAT = Leases.HEARTBEAT;

  private final Database db;
  private final String server;

  /** Null when opened to read only: nothing is held then. */
  private final Leases leases;

  private PostgresJournal(Database db, String server, Leases leases) {
    this.db = db;
    this.server = server;
    this.leases = leases;
  }

  /**
   * Opens the journal for serve: creates the tables or checks them, and renews this server's leases
   * until closed; removes what {@code retention} no longer keeps, one server at a time.
   */
  public static PostgresJournal openForServe(PostgresUrl url, Retention retention) {
    return open(url, retention, 10);
  }

  /** Opens the journal to write to it from a command ({@code replay}); removes nothing. */
  public static PostgresJournal open(PostgresUrl url) {
    return open(url, null, 2);
  }

  private static PostgresJournal open(PostgresUrl url, Retention retention, int connections) {
    Database db = Database.connect(url, connections);
    try {
      db.transaction(
          c -> {
            PostgresSchema.ensure(c, url);
            return null;
          });
      String server = serverName();
      Leases leases = new Leases(db, server, retention);
      // As the SQLite journal does at start: what is no longer kept goes before serving.
      leases.prune();
      return new PostgresJournal(db, server, leases);
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /** Opens the journal to read it only ({@code deliveries}): it must exist. */
  public static PostgresJournal openForReading(PostgresUrl url) {
    Database db = Database.connect(url, 2);
    try {
      db.transaction(
          c -> {
            int version = PostgresSchema.exists(c) ? PostgresSchema.version(c) : 0;
            if (version == 0) {
              throw new JournalException(
                  "no journal in %s yet: serve records deliveries there once it has run with it"
                      .formatted(url));
            }
            if (version > PostgresSchema.VERSION) {
              throw new JournalException(
                  "the journal %s was written by a newer hf-webhooks (format %d; this one reads"
                          .formatted(url, version)
                      + " %d): upgrade this one".formatted(PostgresSchema.VERSION));
            }
            return null;
          });
      return new PostgresJournal(db, serverName(), null);
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /** Journals opened in this process so far: a second one (tests) is another server. */
  private static final AtomicInteger OPENED = new AtomicInteger();

  /**
   * This server as attempts name it: its host and process id (and a number from the second journal
   * a process opens on).
   */
  static String serverName() {
    int n = OPENED.incrementAndGet();
    return hostAndPid() + (n == 1 ? "" : "#" + n);
  }

  private static String hostAndPid() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = Files.readString(Path.of("/etc/hostname")).strip();
      } catch (IOException e) {
        host = "";
      }
    }
    return (host.isBlank() ? "localhost" : host) + "/" + ProcessHandle.current().pid();
  }

  /** The name this journal's attempts carry. */
  public String server() {
    return server;
  }

  @Override
  public String location() {
    return db.url.toString();
  }

  @Override
  public boolean shared() {
    return true;
  }

  // ---- writes ----

  @Override
  public void enqueue(NewDelivery delivery) {
    durable(
        c -> {
          PostgresRows.insert(c, delivery, Status.QUEUED, server, Leases.LEASE);
          leases.inserted();
          return null;
        });
    leases.pruneIfDue();
  }

  @Override
  public int acceptRunning(NewDelivery delivery) {
    write(
        c -> {
          PostgresRows.insert(c, delivery, Status.RUNNING, server, Leases.LEASE);
          leases.inserted();
          addAttempt(c, delivery.id(), 1, Trigger.RECEIVED);
          return null;
        });
    leases.pruneIfDue();
    return 1;
  }

  private void addAttempt(Connection c, String id, int number, Trigger trigger)
      throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "INSERT INTO hf_webhooks_attempts (delivery, number, trigger, started, status, server)"
                + " VALUES (?, ?, ?, ?, 'running', ?)")) {
      p.setString(1, id);
      p.setInt(2, number);
      p.setString(3, trigger.label());
      p.setObject(4, PostgresRows.time(Instant.now()));
      p.setString(5, server);
      p.executeUpdate();
    }
  }

  @Override
  public int start(String id, Trigger trigger) {
    return write(c -> startAttempt(c, id, trigger));
  }

  @Override
  public Started startAndRead(String id, Trigger trigger) {
    return write(
        c -> {
          int number = startAttempt(c, id, trigger);
          return new Started(number, PostgresRows.findExact(c, id).orElseThrow());
        });
  }

  /** See {@link PostgresRows#refuseIfBusy}. */
  @Override
  public int startReplay(String id) {
    return write(
        c -> {
          if (!PostgresRows.refuseIfBusy(c, id, db.url)) {
            throw noDelivery(id);
          }
          return startAttempt(c, id, Trigger.REPLAY);
        });
  }

  /** Starts the next attempt of {@code id} on this server, whatever its state; its number. */
  private int startAttempt(Connection c, String id, Trigger trigger) throws SQLException {
    int number;
    try (PreparedStatement p =
        c.prepareStatement(
            "UPDATE hf_webhooks_deliveries SET status = 'running', attempts = attempts + 1,"
                + " owner = ?, lease_until = now() + ?::interval, not_before = NULL,"
                + " exit_status = NULL, duration_ms = NULL, error = NULL"
                + " WHERE id = ? RETURNING attempts")) {
      p.setString(1, server);
      p.setString(2, PostgresRows.interval(Leases.LEASE));
      p.setString(3, id);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          throw noDelivery(id);
        }
        number = rs.getInt(1);
      }
    }
    addAttempt(c, id, number, trigger);
    return number;
  }

  // The partial index hf_webhooks_waiting holds exactly the rows the first condition names.
  private static final String CLAIM =
      "WITH next AS (SELECT id, status, owner FROM hf_webhooks_deliveries"
          + " WHERE status IN ('queued', 'running', 'debounced')"
          + " AND ((status = 'queued' AND (not_before IS NULL OR not_before <= now()))"
          + " OR (status = 'running' AND lease_until < now())"
          + " OR (status = 'debounced' AND due <= now()))"
          + " ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)"
          + " UPDATE hf_webhooks_deliveries d SET status = 'running', attempts = d.attempts + 1,"
          + " owner = ?, lease_until = now() + ?::interval, not_before = NULL, due = NULL,"
          + " exit_status = NULL, duration_ms = NULL, error = NULL FROM next WHERE d.id = next.id"
          + " RETURNING d.id, next.status, d.attempts, next.owner";

  @Override
  public Optional<Started> claim() {
    return write(
        c -> {
          String id;
          String was;
          int number;
          String owner;
          try (PreparedStatement p = c.prepareStatement(CLAIM)) {
            p.setString(1, server);
            p.setString(2, PostgresRows.interval(Leases.LEASE));
            try (ResultSet rs = p.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              id = rs.getString(1);
              was = rs.getString(2);
              number = rs.getInt(3);
              owner = rs.getString(4);
            }
          }
          Trigger trigger;
          if (was.equals("running")) {
            // Its server stopped renewing: that attempt ended with it, as far as anyone can tell.
            try (PreparedStatement p =
                c.prepareStatement(
                    "UPDATE hf_webhooks_attempts SET status = 'failed', error = ?"
                        + " WHERE delivery = ? AND number = ? AND status = 'running'")) {
              p.setString(1, Leases.INTERRUPTED.formatted(owner));
              p.setString(2, id);
              p.setInt(3, number - 1);
              p.executeUpdate();
            }
            trigger = Trigger.RECOVERY;
          } else {
            trigger = number > 1 ? Trigger.RETRY : Trigger.RECEIVED;
          }
          addAttempt(c, id, number, trigger);
          return Optional.of(new Started(number, PostgresRows.findExact(c, id).orElseThrow()));
        });
  }

  @Override
  public void finish(String id, int number, AttemptResult result, Status next) {
    finish(id, number, result, next, null);
  }

  @Override
  public void finish(String id, int number, AttemptResult result, Status next, Duration after) {
    write(
        c -> {
          int attempts;
          try (PreparedStatement p =
              c.prepareStatement(
                  "UPDATE hf_webhooks_attempts SET status = ?, exit_status = ?, duration_ms = ?,"
                      + " error = ? WHERE delivery = ? AND number = ?")) {
            p.setString(1, result.status().label());
            PostgresRows.bindEnd(p, 2, result);
            p.setString(5, id);
            p.setInt(6, number);
            attempts = p.executeUpdate();
          }
          // The delivery's row follows its latest attempt only: an earlier one that ends late (a
          // replay's, or one another server took over) changes its own row alone.
          try (PreparedStatement p =
              c.prepareStatement(
                  "UPDATE hf_webhooks_deliveries SET status = ?, exit_status = ?, duration_ms = ?,"
                      + " error = ?, output = ?, stderr = ?, owner = NULL, lease_until = NULL,"
                      + " not_before = now() + ?::interval WHERE id = ? AND attempts = ?")) {
            p.setString(1, next.label());
            PostgresRows.bindEnd(p, 2, result);
            p.setString(5, result.output());
            p.setString(6, result.stderr());
            p.setString(
                7, next == Status.QUEUED && after != null ? PostgresRows.interval(after) : null);
            p.setString(8, id);
            p.setInt(9, number);
            if (p.executeUpdate() == 0 && attempts == 0) {
              throw noDelivery(id);
            }
          }
          return null;
        });
  }

  /**
   * A shared journal is never recovered as a whole: a server that starts cannot tell a dead
   * server's deliveries from a live one's. The leases do: {@link #claim} takes what a dead server
   * held once its lease lapses, and what waits queued.
   */
  @Override
  public List<DeliverySummary> recover() {
    return write(c -> List.of());
  }

  @Override
  public Held hold(NewDelivery delivery, String key, Duration wait, Duration max) {
    Held held =
        durable(
            c -> {
              Held h = PostgresHolds.hold(c, delivery, key, wait, max);
              leases.inserted();
              return h;
            });
    leases.pruneIfDue();
    return held;
  }

  @Override
  public boolean release(String id) {
    return write(c -> PostgresHolds.release(c, id));
  }

  @Override
  public List<Pending> held() {
    return db.transaction(PostgresHolds::held);
  }

  // ---- reads ----

  @Override
  public Optional<DeliveryRecord> find(String id) {
    return db.transaction(c -> PostgresRows.find(c, id));
  }

  @Override
  public List<DeliverySummary> list(Query query) {
    return db.transaction(c -> PostgresRows.list(c, query));
  }

  /** The leases this server holds (tests beat by hand). */
  Leases leases() {
    return leases;
  }

  /** Removes what is no longer kept now, rather than at the next heart-beat (tests). */
  void prune() {
    leases.prune();
  }

  @Override
  public void close() {
    if (db.isClosed()) {
      return;
    }
    if (leases != null) {
      leases.close();
    }
    db.close();
  }

  /** A write that must be on the database's disk before it returns: what a 202 promises. */
  private <T> T durable(Database.Work<T> work) {
    return write(true, work);
  }

  /**
   * A write whose loss in a crash of the database would at worst run a delivery once more: its
   * commit does not wait for the disk, as the SQLite journal's do not.
   */
  private <T> T write(Database.Work<T> work) {
    return write(false, work);
  }

  private <T> T write(boolean durable, Database.Work<T> work) {
    if (leases == null) {
      throw new IllegalStateException("journal opened for reading only");
    }
    return db.transaction(durable, work);
  }

  private JournalException noDelivery(String id) {
    return new JournalException("no delivery " + id + " in " + db.url);
  }
}
