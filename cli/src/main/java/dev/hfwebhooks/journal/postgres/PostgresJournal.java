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
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

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
  /** Null when opened to read only. */
  private final @Nullable Leases leases;

  private PostgresJournal(Database db, String server, @Nullable Leases leases) {
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

  private static PostgresJournal open(
      PostgresUrl url, @Nullable Retention retention, int connections) {
    Database db = Database.connect(url, connections);
    try {
      db.execute(c -> PostgresSchema.ensure(c, url));
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
      db.execute(
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
    Leases mine = writable();
    durable(c -> PostgresRows.insert(c, delivery, Status.QUEUED));
    mine.inserted();
    mine.pruneIfDue();
  }

  @Override
  public int acceptRunning(NewDelivery delivery) {
    Leases mine = writable();
    write(c -> PostgresAttempts.acceptRunning(c, delivery, server));
    mine.running(delivery.id(), 1);
    mine.inserted();
    mine.pruneIfDue();
    return 1;
  }

  @Override
  public int start(String id, Trigger trigger) {
    Leases mine = writable();
    int number = write(c -> PostgresAttempts.start(c, id, trigger, server));
    if (number < 0) {
      throw noDelivery(id);
    }
    mine.running(id, number);
    return number;
  }

  @Override
  public Started startAndRead(String id, Trigger trigger) {
    Leases mine = writable();
    // Not one statement: replay and sync deliveries come here, never the claim loop.
    Started started =
        transaction(
            c -> {
              int number = PostgresAttempts.start(c, id, trigger, server);
              if (number < 0) {
                throw noDelivery(id);
              }
              return new Started(number, PostgresRows.findExact(c, id).orElseThrow());
            });
    mine.running(id, started.number());
    return started;
  }

  /** See {@link PostgresRows#refuseIfBusy}; the row stays locked until the start is recorded. */
  @Override
  public int startReplay(String id) {
    Leases mine = writable();
    int number =
        transaction(
            c -> {
              if (!PostgresRows.refuseIfBusy(c, id, db.url)) {
                throw noDelivery(id);
              }
              return PostgresAttempts.start(c, id, Trigger.REPLAY, server);
            });
    mine.running(id, number);
    return number;
  }

  @Override
  public List<Started> claim(int max) {
    Leases mine = writable();
    List<Started> claimed = write(c -> PostgresAttempts.claim(c, server, max));
    claimed.forEach(s -> mine.running(s.delivery().id(), s.number()));
    return claimed;
  }

  @Override
  public void finish(String id, int number, AttemptResult result, Status next) {
    finish(id, number, result, next, null);
  }

  @Override
  public void finish(
      String id, int number, AttemptResult result, Status next, @Nullable Duration after) {
    try {
      if (!write(c -> PostgresAttempts.finish(c, id, number, result, next, after))) {
        throw noDelivery(id);
      }
    } finally {
      // Recorded or not, the attempt is over: should the record have failed, the lease lapses
      // and the delivery runs again (at least once).
      if (leases != null) {
        leases.ended(id, number);
      }
    }
  }

  /**
   * A shared journal is never recovered as a whole: a server that starts cannot tell a dead
   * server's deliveries from a live one's. The leases do: {@link #claim} takes what a dead server
   * held once its lease lapses, and what waits queued.
   */
  @Override
  public List<DeliverySummary> recover() {
    writable();
    return List.of();
  }

  @Override
  public Held hold(NewDelivery delivery, String key, Duration wait, Duration max) {
    Leases mine = writable();
    // Several statements under the key's advisory lock, durable: a 202 follows.
    Held held = db.transaction(true, c -> PostgresHolds.hold(c, delivery, key, wait, max));
    mine.inserted();
    mine.pruneIfDue();
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
    return writable();
  }

  /** Removes what is no longer kept now, rather than at the next heart-beat (tests). */
  void prune() {
    writable().prune();
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

  /**
   * A write of one statement that must be on the database's disk before it returns: what a 202
   * promises.
   */
  private <T> T durable(Database.Work<T> work) {
    writable();
    return db.statement(true, work);
  }

  /**
   * A write of one statement whose loss in a crash of the database would at worst run a delivery
   * once more: its commit does not wait for the disk, as the SQLite journal's do not.
   */
  private <T> T write(Database.Work<T> work) {
    writable();
    return db.statement(false, work);
  }

  /** As {@link #write}, for work of several statements. */
  private <T> T transaction(Database.Work<T> work) {
    writable();
    return db.transaction(false, work);
  }

  /** This server's leases, once sure that the journal may be written to. */
  private Leases writable() {
    if (leases == null) {
      throw new IllegalStateException("journal opened for reading only");
    }
    if (db.isClosed()) {
      throw new JournalException("the journal " + db.url + " is closed");
    }
    return leases;
  }

  private JournalException noDelivery(String id) {
    return new JournalException("no delivery " + id + " in " + db.url);
  }
}
