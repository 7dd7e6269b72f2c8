package dev.hfwebhooks.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.hfwebhooks.payload.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import org.sqlite.SQLiteOpenMode;

/**
 * The journal in one embedded SQLite file, in WAL mode. Every write that returns is in the file
 * (or, opened for serve, in its log: see below), so it survives the server's crash (kill -9).
 * Queuing a delivery ({@link #enqueue}, what {@code --async} acknowledges) is also synced to the
 * disk, so it survives a power loss too; the other writes are not waited on for that ({@code
 * synchronous=NORMAL}): after a power loss the last of them may be missing, which at worst runs a
 * delivery once more (at least once).
 *
 * <p>Opened {@linkplain #openForServe for serve}, the writes a delivery makes on its way ({@link
 * #acceptRunning}, {@link #enqueue}, {@link #startAndRead} and {@link #start}, {@link #finish}) are
 * appended to a {@link JournalLog} on the delivery's own thread and reach the database in the
 * background, a few hundred per transaction: a transaction per delivery, and the thread hand-over
 * to wait for it, cost more than the rest of a JavaScript delivery. The log is as safe as a commit
 * (it is the same page cache), and a start after a crash moves what it holds into the database
 * before anything else. Reads made through this object wait until the database has every write made
 * before them; another process reading the file may see a delivery up to {@link #GATHER} late.
 *
 * <p>All writes go through one thread that commits them in batches: SQLite, which allows one writer
 * at a time, never sees two of ours compete. Reads use a connection of their own, which WAL lets
 * run beside the writer. Another process ({@code replay}, {@code deliveries}) may open the same
 * file; SQLite's locks keep it consistent, and a lock held longer than {@link #BUSY_TIMEOUT} is
 * reported as such.
 */
public final class SqliteJournal implements Journal {
  /** The journal's file name inside the data dir. */
  public static final String FILE_NAME = "journal.db";

  static final Duration BUSY_TIMEOUT = Duration.ofSeconds(5);

  /** Writes committed together at most; more wait for the next commit. */
  private static final int MAX_BATCH = 4096;

  /**
   * How long the writer gathers logged writes before it commits them, when nobody waits: the
   * longer, the fewer commits under load, and the later another process sees a delivery.
   */
  static final Duration GATHER = Duration.ofMillis(20);

  /** How long the writer waits before it tries again a logged write the database refused. */
  private static final Duration STALLED_RETRY = Duration.ofSeconds(1);

  /** The size of a log file: a record that does not fit goes to the next one (a reused file). */
  private static final int LOG_FILE_SIZE = 16 << 20;

  /** The page size of a new journal. */
  static final int PAGE_SIZE = 8192;

  /**
   * The format of the tables below, kept in {@code PRAGMA user_version}. A version that changes
   * them raises it and converts a journal of the one before; nothing was released before this one,
   * so there is nothing older to convert.
   */
  private static final int SCHEMA_VERSION = 1;

  private static final String SCHEMA =
      """
      CREATE TABLE deliveries (
        seq         INTEGER PRIMARY KEY,  -- arrival order, never reused (rows go oldest first)
        id          TEXT NOT NULL UNIQUE,
        received    INTEGER NOT NULL,     -- epoch milliseconds
        handler     TEXT NOT NULL,
        body        BLOB NOT NULL,        -- exactly as received
        headers     TEXT NOT NULL,        -- JSON object, lower-case names, secret removed
        status      TEXT NOT NULL,        -- queued, running, succeeded, failed, timed_out, filtered
        attempts    INTEGER NOT NULL,
        exit_status INTEGER,              -- of the latest attempt, as are the columns below
        duration_ms INTEGER,
        error       TEXT,
        output      TEXT,                 -- of the latest attempt that ended, as is stderr
        stderr      TEXT,
        attempt_trigger TEXT,             -- null before the first attempt
        attempt_started INTEGER,
        attempt_status  TEXT,             -- running, succeeded, failed, timed_out
        debounce_key    TEXT,             -- @debounce: the key value of a held delivery
        burst_started   INTEGER,          -- when the first delivery of its burst arrived
        due             INTEGER,          -- when it runs, unless a later one replaces it
        superseded_by   TEXT              -- the delivery that ran instead of this one
      );
      -- Every attempt but a delivery's latest, which its row holds: most deliveries have one
      -- attempt, and a row less to insert and delete costs less than the join it saves.
      CREATE TABLE attempts (
        delivery    TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        number      INTEGER NOT NULL,
        trigger     TEXT NOT NULL,        -- received, retry, recovery, replay
        started     INTEGER NOT NULL,
        status      TEXT NOT NULL,
        exit_status INTEGER,
        duration_ms INTEGER,
        error       TEXT,
        PRIMARY KEY (delivery, number)
      ) WITHOUT ROWID;
      -- How far the database has the write-ahead log's records: one row.
      CREATE TABLE log_applied (
        log_generation INTEGER NOT NULL,  -- the log file of the last record applied
        log_offset     INTEGER NOT NULL   -- the offset after it in that file
      );
      INSERT INTO log_applied VALUES (0, 0);
      """;

  // No index beyond the two keys: each costs every write, and what else reads the table (lists,
  // recovery at start) scans at most --keep rows, in milliseconds.
  private static final String SUMMARY =
      "SELECT seq, id, received, handler, status, attempts, exit_status, duration_ms, error";

  private static final String INTERRUPTED = "interrupted: the server stopped during this attempt";

  /** What the writer thread takes: a write someone waits for, or one the log already holds. */
  private sealed interface Entry {}

  /** One write and whoever waits for it. */
  private record Write(
      Work<?> work, boolean inserts, boolean synced, CompletableFuture<Object> done)
      implements Entry {}

  /** A write in the log, which nobody waits for; {@code count} is its number among them. */
  private record Logged(LogRecord record, JournalLog.Position end, long count) implements Entry {}

  /** SQL run on the writer's connection, inside its transaction. */
  @FunctionalInterface
  private interface Work<T> {
    T run(Statements sql) throws SQLException;
  }

  private static final Write STOP = new Write(sql -> null, false, false, new CompletableFuture<>());

  /** The prefix of the log's file names, after which comes the generation. */
  private static final String LOG_PREFIX = FILE_NAME + "-log-";

  private final Path file;
  private final Retention retention;

  private final Statements reader;
  private final Statements writer;
  private final BlockingQueue<Entry> writes = new LinkedBlockingQueue<>();
  private final Thread writerThread;

  /** The write-ahead log, when opened for serve; null otherwise. */
  private final JournalLog log;

  /** Set when a write someone waits for is queued: the writer then stops gathering. */
  private volatile boolean waited;

  /** Logged writes appended, and how many of them the database has. */
  private volatile long appended;

  /**
   * Per delivery, its latest logged write the database does not have yet: a worker starting it
   * reads it from here, or knows what to wait for before it reads the database.
   */
  private final Map<String, Logged> unapplied = new ConcurrentHashMap<>();

  /** Locks for starting attempts, by delivery id: see {@link #startAndRead}. */
  private final Object[] startLocks = Stream.generate(Object::new).limit(64).toArray();

  /**
   * When each attempt logged by a start, and not ended yet, started ("id number"): its end carries
   * it, to find the attempt should another process have taken its number meanwhile.
   */
  private final Map<String, Instant> loggedStarts = new ConcurrentHashMap<>();

  private volatile long applied;

  /**
   * Logged writes the database refused (locked by another program, disk full), with those after
   * them, to try again (writer thread only).
   */
  private final List<Entry> stalled = new ArrayList<>();

  /**
   * Copies the WAL into the database file in the background. SQLite would otherwise do it inside a
   * commit every thousand pages, and the writer, so every delivery waiting on it, would wait for
   * the copy and its fsync.
   */
  private final ScheduledExecutorService checkpointer;

  private final Connection checkpoints;

  static final Duration CHECKPOINT_PERIOD = Duration.ofMillis(500);
  private volatile boolean closed;

  /** Deliveries inserted since the last prune (writer thread only). */
  private long insertedSincePrune;

  /** When the last prune by age ran (writer thread only). */
  private long lastAgePrune = System.nanoTime();

  /** The writer connection's synchronous setting: FULL as opened, then as each batch needs. */
  private boolean syncing = true;

  private SqliteJournal(
      Path file,
      Retention retention,
      Connection reader,
      Statements writer,
      Connection checkpoints,
      JournalLog log) {
    this.file = file;
    this.retention = retention;
    this.reader = new Statements(reader);
    this.writer = writer;
    this.checkpoints = checkpoints;
    this.log = log;
    this.writerThread =
        writer == null
            ? null
            : Thread.ofPlatform().daemon().name("hf-webhooks-journal").start(this::writeLoop);
    if (checkpoints == null) {
      this.checkpointer = null;
    } else {
      this.checkpointer =
          Executors.newSingleThreadScheduledExecutor(
              Thread.ofPlatform().daemon().name("hf-webhooks-checkpoint").factory());
      checkpointer.scheduleWithFixedDelay(
          this::checkpoint,
          CHECKPOINT_PERIOD.toMillis(),
          CHECKPOINT_PERIOD.toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  /**
   * PASSIVE: copies what it can without waiting for the writer or readers; once all of the WAL is
   * copied, the next commit starts it again from the beginning, so it stays small.
   */
  private void checkpoint() {
    try {
      execute(checkpoints, "PRAGMA wal_checkpoint(PASSIVE)");
    } catch (SQLException e) {
      // Tried again at the next period; a failing disk shows in the writes themselves.
    }
  }

  /**
   * Opens the journal at {@code file} for reading and writing, creating it when missing, and
   * removes what {@code retention} no longer keeps (nothing when it is null: {@code replay} leaves
   * that to serve). Each write is committed before it returns; a server may have the file open too.
   */
  public static SqliteJournal open(Path file, Retention retention) {
    return open(file, retention, 0);
  }

  /**
   * Opens the journal for serve, with its write-ahead log: first moves into the database what the
   * log of a server that died still holds. The caller must hold the data dir's lock, so that no
   * other server writes to the same log.
   */
  public static SqliteJournal openForServe(Path file, Retention retention) {
    return openForServe(file, retention, LOG_FILE_SIZE);
  }

  /** As {@link #openForServe(Path, Retention)}, with log files of about {@code logFileSize}. */
  static SqliteJournal openForServe(Path file, Retention retention, int logFileSize) {
    return open(file, retention, logFileSize);
  }

  /** Opens with a log whose files move on past {@code logFileSize} bytes, or without one (0). */
  private static SqliteJournal open(Path file, Retention retention, int logFileSize) {
    boolean logged = logFileSize > 0;
    Connection writer = null;
    try {
      writer = connect(file, true, BUSY_TIMEOUT);
      Statements sql = new Statements(writer);
      execute(writer, "BEGIN IMMEDIATE");
      createOrCheck(file, writer);
      long generation = logged ? recoverLog(file, sql) : 0;
      prune(writer, retention);
      execute(writer, "COMMIT");
      execute(writer, "PRAGMA wal_autocheckpoint = 0"); // the checkpointer does it
      JournalLog log = null;
      if (logged) {
        // Committed (and synced: the connection is FULL as opened), so the old files can go.
        for (Path old : JournalLog.files(file.getParent(), LOG_PREFIX)) {
          Files.delete(old);
        }
        log = JournalLog.start(file.getParent(), LOG_PREFIX, generation, logFileSize);
      }
      return new SqliteJournal(
          file,
          retention,
          connect(file, false, BUSY_TIMEOUT),
          sql,
          connect(file, false, BUSY_TIMEOUT),
          log);
    } catch (SQLException e) {
      closeQuietly(writer);
      throw translate(file, e);
    } catch (IOException e) {
      closeQuietly(writer);
      throw new JournalException(
          "cannot use the journal's log beside %s (%s): check that its folder is writable and has"
                  .formatted(file, e.getMessage())
              + " room, or pass another --data-dir",
          e);
    } catch (JournalException e) {
      closeQuietly(writer);
      throw e;
    }
  }

  /**
   * Applies the records of the log files the database does not have yet, inside the caller's
   * transaction, and returns the generation for the next log, which the database now names.
   */
  private static long recoverLog(Path file, Statements sql) throws SQLException, IOException {
    long appliedGeneration;
    long appliedOffset;
    try (ResultSet rs =
        sql.prepare("SELECT log_generation, log_offset FROM log_applied").executeQuery()) {
      rs.next();
      appliedGeneration = rs.getLong(1);
      appliedOffset = rs.getLong(2);
    }
    long next = appliedGeneration + 1;
    for (Path path : JournalLog.files(file.getParent(), LOG_PREFIX)) {
      long generation = JournalLog.generation(path, LOG_PREFIX);
      next = Math.max(next, generation + 1);
      if (generation < appliedGeneration) {
        continue;
      }
      List<Entry> entries = new ArrayList<>();
      for (JournalLog.Read read : JournalLog.read(path, generation)) {
        if (generation > appliedGeneration || read.end().offset() > appliedOffset) {
          entries.add(new Logged(LogRecord.decode(read.record()), read.end(), 0));
        }
      }
      apply(sql, entries, new ArrayList<>());
    }
    setApplied(sql, new JournalLog.Position(next, 0, 0));
    return next;
  }

  /** Opens an existing journal to read it only ({@code deliveries}). */
  public static SqliteJournal openForReading(Path file) {
    if (!Files.exists(file)) {
      throw new JournalException(
          "no journal at %s: serve records deliveries there once it has run with this data dir"
              .formatted(file));
    }
    Connection reader = null;
    try {
      reader = connect(file, false, BUSY_TIMEOUT);
      int version = userVersion(reader);
      if (version == 0) {
        throw new JournalException(notAJournal(file, "it has no deliveries table"));
      }
      checkVersion(file, version);
      return new SqliteJournal(file, Retention.DEFAULT, reader, null, null, null);
    } catch (SQLException e) {
      closeQuietly(reader);
      throw translate(file, e);
    } catch (JournalException e) {
      closeQuietly(reader);
      throw e;
    }
  }

  private static Connection connect(Path file, boolean create, Duration busy) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    if (!create) {
      config.resetOpenMode(SQLiteOpenMode.CREATE);
    }
    // FULL as opened, so that what open() commits (a new journal, a recovered log) is synced; the
    // writer then chooses per batch (commit()).
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout((int) busy.toMillis());
    // Not enforced: see prune(). Attempts are only written for a delivery just found or inserted.
    config.enforceForeignKeys(false);
    Connection connection = config.createConnection("jdbc:sqlite:" + file);
    if (create) {
      // The page size first: a new file takes it only before anything is written, and switching
      // to WAL writes. A row is ~1.5 KB with its body, and 8 KB pages cost a fifth less per
      // delivery than the default 4 KB (fewer pages to split, link and log per row).
      execute(connection, "PRAGMA page_size = " + PAGE_SIZE);
      // WAL: readers (the landing page, deliveries) never block the writer, nor it them.
      execute(connection, "PRAGMA journal_mode = WAL");
    }
    return connection;
  }

  /**
   * Runs one statement in auto-commit mode. Transactions are begun by hand, with BEGIN IMMEDIATE:
   * the driver's own (auto-commit off) would hold a transaction open between batches, and one that
   * takes the write lock only at its first write fails at once with SQLITE_BUSY when another writer
   * got there first, instead of waiting for it.
   */
  private static void execute(Connection connection, String sql) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(sql);
    }
  }

  private static int userVersion(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }

  /** Makes the tables of a new journal, or checks that an existing one is of this format. */
  private static void createOrCheck(Path file, Connection connection) throws SQLException {
    int version = userVersion(connection);
    if (version != 0) {
      checkVersion(file, version);
      return;
    }
    try (Statement s = connection.createStatement()) {
      try (ResultSet tables =
          s.executeQuery("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")) {
        if (tables.next() && tables.getInt(1) > 0) {
          throw new JournalException(notAJournal(file, "it holds other tables"));
        }
      }
      executeAll(s, SCHEMA);
      s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
    }
  }

  private static void executeAll(Statement s, String statements) throws SQLException {
    for (String statement : statements.split(";\n")) {
      if (!statement.isBlank()) {
        s.execute(statement);
      }
    }
  }

  /** Refuses a journal of another format than this version's (user_version 0 is checked apart). */
  private static void checkVersion(Path file, int version) {
    if (version > SCHEMA_VERSION) {
      throw new JournalException(
          "the journal %s was written by a newer hf-webhooks (format %d; this one reads %d):"
                  .formatted(file, version, SCHEMA_VERSION)
              + " upgrade, or pass another --data-dir");
    }
    if (version != SCHEMA_VERSION) {
      throw new JournalException(notAJournal(file, "its format, %d, is unknown".formatted(version)));
    }
  }

  private static String notAJournal(Path file, String why) {
    return "%s is not an hf-webhooks journal (%s): move it away, or pass another --data-dir"
        .formatted(file, why);
  }

  /**
   * Removes finished deliveries beyond what is kept, with their attempts; never a queued or running
   * one. The attempts go by hand: SQLite's ON DELETE CASCADE looks them up once per delivery, which
   * doubled what a removal costs, so the connections do not enforce foreign keys.
   */
  private static void prune(Connection connection, Retention retention) throws SQLException {
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

  @Override
  public String location() {
    return file.toString();
  }

  // ---- writes ----

  @Override
  public void enqueue(NewDelivery delivery) {
    if (log != null) {
      JournalLog.Position end = append(new LogRecord.Received(delivery, false));
      try {
        log.sync(end);
      } catch (IOException e) {
        throw logFailure(e);
      }
      return;
    }
    write(
        true,
        true,
        sql -> {
          insert(sql, delivery, null, null, null, false);
          return null;
        });
  }

  @Override
  public Held hold(NewDelivery delivery, String key, Duration wait, Duration max) {
    return write(
        true,
        true,
        sql -> {
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
        });
  }

  @Override
  public boolean release(String id) {
    return write(
        false,
        false,
        sql -> {
          PreparedStatement release =
              sql.prepare(
                  "UPDATE deliveries SET status = 'queued', error = NULL"
                      + " WHERE id = ? AND status = 'debounced'");
          release.setString(1, id);
          return release.executeUpdate() > 0;
        });
  }

  @Override
  public List<Pending> held() {
    return read(
        sql -> {
          PreparedStatement p =
              sql.prepare(
                  "SELECT id, handler, due FROM deliveries WHERE status = 'debounced' ORDER BY due");
          List<Pending> pending = new ArrayList<>();
          try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              pending.add(
                  new Pending(
                      rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3))));
            }
          }
          return pending;
        });
  }

  @Override
  public int acceptRunning(NewDelivery delivery) {
    if (log != null) {
      append(new LogRecord.Received(delivery, true));
      return 1;
    }
    return write(
        true,
        false,
        sql -> {
          insert(sql, delivery, Trigger.RECEIVED, Instant.now(), null, false);
          return 1;
        });
  }

  /**
   * Appends a write to the log and hands it to the writer thread, in the same order. The first
   * write into an empty queue wakes the writer; the others do not, so a delivery pays for no
   * hand-over.
   */
  private JournalLog.Position append(LogRecord record) {
    byte[] frame = record.encode(JournalLog.HEADER);
    JournalLog.Position[] end = new JournalLog.Position[1];
    synchronized (writes) {
      if (closed) {
        throw new JournalException("the journal " + file + " is closed");
      }
      try {
        log.append(
            frame,
            position -> {
              end[0] = position;
              Logged logged = new Logged(record, position, ++appended);
              unapplied.put(record.deliveryId(), logged);
              writes.add(logged);
            });
      } catch (IOException e) {
        throw logFailure(e);
      }
    }
    return end[0];
  }

  private JournalException noDelivery(String id) {
    return new JournalException("no delivery " + id + " in " + file);
  }

  private JournalException logFailure(IOException e) {
    return new JournalException(
        "cannot write the journal's log beside %s (%s): check that its folder is writable and has"
                .formatted(file, e.getMessage())
            + " room, or pass another --data-dir",
        e);
  }

  @Override
  public int start(String id, Trigger trigger) {
    if (log != null) {
      // Numbered like a worker's start, so that the two cannot both take the same number.
      return startAndRead(id, trigger).number();
    }
    int number =
        write(false, false, sql -> startAttempt(sql, id, trigger, Instant.now(), null, null));
    if (number == 0) {
      throw noDelivery(id);
    }
    return number;
  }

  /**
   * Without a log, one transaction: a worker's attempt costs one commit, not a commit and a read.
   * With the log (serve), no commit at all: the start is logged like the rest of the delivery, and
   * the delivery is read from the log's record when the database does not have it yet (a worker
   * taking a delivery just acknowledged), or from the database once it has every logged write for
   * it. A commit per attempt was a third of the server's CPU under {@code --async} load.
   */
  @Override
  public Started startAndRead(String id, Trigger trigger) {
    if (log == null) {
      return write(
          false,
          false,
          sql -> {
            int number = startAttempt(sql, id, trigger, Instant.now(), null, null);
            if (number == 0) {
              throw noDelivery(id);
            }
            return new Started(number, findIn(sql, id).orElseThrow());
          });
    }
    // Waited for outside the lock, so that a slow writer (the database locked by another program)
    // holds up only this start, not others that share its lock; startLogged checks again.
    awaitApplied(id);
    // One start of a delivery at a time in this process: numbering reads, then appends.
    synchronized (startLocks[Math.floorMod(id.hashCode(), startLocks.length)]) {
      return startLogged(id, trigger);
    }
  }

  /**
   * Waits until the database has every logged write for delivery {@code id}, unless the latest is
   * its arrival as queued, which {@link #startLogged} reads from the log's record.
   */
  private void awaitApplied(String id) {
    Logged pending = unapplied.get(id);
    if (pending != null && queuedArrival(pending) == null && applied < pending.count()) {
      write(false, false, sql -> null); // the database has every write for it after this
    }
  }

  /** The delivery {@code pending} holds when it is a delivery's arrival as queued, else null. */
  private static NewDelivery queuedArrival(Logged pending) {
    return pending != null
            && pending.record() instanceof LogRecord.Received received
            && !received.running()
        ? received.delivery()
        : null;
  }

  private Started startLogged(String id, Trigger trigger) {
    DeliveryRecord record;
    NewDelivery d = queuedArrival(unapplied.get(id));
    if (d != null) {
      // Nothing was written for it since it arrived queued (a start of it would have been, and
      // starts of it take this lock), so this is where it stands.
      record =
          new DeliveryRecord(
              new DeliverySummary(
                  d.id(),
                  d.received().truncatedTo(ChronoUnit.MILLIS),
                  d.handler(),
                  Status.QUEUED,
                  0,
                  null,
                  null,
                  null),
              d.body(),
              d.headers(),
              null,
              null,
              List.of());
    } else {
      awaitApplied(id); // done before the lock, unless another start of it came in between
      record = readNow(sql -> findIn(sql, id)).orElseThrow(() -> noDelivery(id));
    }
    int number = record.summary().attempts() + 1;
    Instant started = Instant.now();
    append(new LogRecord.Started(id, number, trigger, started));
    loggedStarts.put(id + " " + number, started);
    DeliverySummary was = record.summary();
    List<Attempt> attempts = new ArrayList<>(record.attempts());
    attempts.add(new Attempt(number, trigger, started, Status.RUNNING, null, null, null));
    return new Started(
        number,
        new DeliveryRecord(
            new DeliverySummary(
                was.id(), was.received(), was.handler(), Status.RUNNING, number, null, null, null),
            record.body(),
            record.headers(),
            record.output(),
            record.stderr(),
            attempts));
  }

  /**
   * Moves the delivery's latest attempt, if any, to the attempts table and starts the next, which
   * ended already when {@code result} is not null (a start and its end applied from the log
   * together). Returns the attempt's number, 0 when there is no such delivery.
   */
  private static int startAttempt(
      Statements sql,
      String id,
      Trigger trigger,
      Instant started,
      AttemptResult result,
      Status next)
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
    if (result != null) {
      updateFinished(sql, id, number, null, result, next);
    }
    return number;
  }

  @Override
  public void finish(String id, int number, AttemptResult result, Status next) {
    if (log != null) {
      Instant started = loggedStarts.remove(id + " " + number);
      append(new LogRecord.Finished(id, number, result, next, started));
      return;
    }
    write(
        false,
        false,
        sql -> {
          if (!updateFinished(sql, id, number, null, result, next)) {
            throw noDelivery(id);
          }
          return null;
        });
  }

  /**
   * Records how attempt {@code number} ended; false when there is no such attempt. The latest
   * attempt is the delivery's row, and it sets the delivery's status; an earlier one (a run another
   * process started after it, a replay say) changes only its own row. With {@code started} (an
   * attempt whose start was logged) the attempt must have started then; if attempt {@code number}
   * did not, another process took that number before the start reached the database, and the
   * attempt is the one that started then.
   */
  private static boolean updateFinished(
      Statements sql, String id, int number, Instant started, AttemptResult result, Status next)
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
      Statements sql, String id, int number, Instant started, AttemptResult result, Status next)
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
      Statements sql, String id, int number, Instant started, AttemptResult result)
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
  private static void bindAttempt(PreparedStatement p, int at, int number, Instant started)
      throws SQLException {
    if (number > 0) {
      p.setInt(at++, number);
    }
    if (started != null) {
      p.setLong(at, started.toEpochMilli());
    }
  }

  @Override
  public List<DeliverySummary> recover() {
    return write(
        false,
        false,
        sql -> {
          PreparedStatement attempts =
              sql.prepare(
                  "UPDATE attempts SET status = 'failed', error = ? WHERE status = 'running'");
          attempts.setString(1, INTERRUPTED);
          attempts.executeUpdate();
          PreparedStatement deliveries =
              sql.prepare(
                  "UPDATE deliveries SET status = 'queued', attempt_status = 'failed', error = ?"
                      + " WHERE status = 'running'");
          deliveries.setString(1, INTERRUPTED);
          deliveries.executeUpdate();
          PreparedStatement queued =
              sql.prepare(SUMMARY + " FROM deliveries WHERE status = 'queued' ORDER BY seq");
          return summaries(queued);
        });
  }

  private static final String INSERT_DELIVERY =
      "INSERT INTO deliveries (id, received, handler, body, headers, status, attempts, exit_status,"
          + " duration_ms, error, output, stderr, attempt_trigger, attempt_started, attempt_status)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /**
   * Inserts a delivery: queued ({@code trigger} null), or with its first attempt, started at {@code
   * started}, running or, when {@code finished} is not null, ended. {@code batched} adds it to the
   * statement's batch, which {@link #flushInserts} runs.
   */
  private static void insert(
      Statements sql,
      NewDelivery d,
      Trigger trigger,
      Instant started,
      LogRecord.Finished finished,
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
      insert.setLong(14, started.toEpochMilli());
      insert.setString(15, result == null ? Status.RUNNING.label() : result.status().label());
    }
    run(insert, batched);
  }

  /**
   * Binds how an attempt ended to the columns exit_status, duration_ms and error, which both tables
   * keep in that order from {@code at} on: all null while it runs ({@code result} null).
   */
  private static void bindEnd(PreparedStatement p, int at, AttemptResult result)
      throws SQLException {
    setInteger(p, at, result == null ? null : result.exitStatus());
    if (result == null) {
      p.setNull(at + 1, Types.INTEGER);
    } else {
      p.setLong(at + 1, result.durationMs());
    }
    p.setString(at + 2, result == null ? null : result.error());
  }

  private static void run(PreparedStatement statement, boolean batched) throws SQLException {
    if (batched) {
      statement.addBatch();
    } else {
      statement.executeUpdate();
    }
  }

  /**
   * Runs the inserts batched so far. The driver steps a batch without the per-statement work of
   * {@code executeUpdate}, a third less per delivery.
   */
  private static void flushInserts(Statements sql) throws SQLException {
    sql.prepare(INSERT_DELIVERY).executeBatch();
  }

  /**
   * Applies {@code batch} in order inside the caller's transaction: the logged records, and the
   * waited-for writes, whose results go to {@code results}. Within a run of logged records, a
   * delivery's writes fold together: one received, started and finished there (a delivery of
   * synchronous serve, or one a worker ran at once) is inserted as it ended, and an attempt started
   * and finished there is one update. Returns where the last logged record ends, or null when there
   * was none.
   */
  private static JournalLog.Position apply(Statements sql, List<Entry> batch, List<Object> results)
      throws SQLException {
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
      Integer at = open.get(record.deliveryId());
      LogRecord into = at == null ? null : ((Logged) batch.get(at)).record();
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
    JournalLog.Position last = null;
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
        flushInserts(sql);
        results.add(w.work().run(sql));
        continue;
      }
      Logged logged = (Logged) entry;
      LogRecord.Finished f = end[i];
      if (logged.record() instanceof LogRecord.Received r) {
        NewDelivery d = r.delivery();
        LogRecord.Started s = firstStart[i];
        if (r.running()) {
          insert(sql, d, Trigger.RECEIVED, d.received(), f, true);
        } else if (s != null) {
          insert(sql, d, s.trigger(), s.started(), f, true);
        } else {
          insert(sql, d, null, null, null, true);
        }
      } else {
        flushInserts(sql);
        // No such delivery below: removed by hand, or a journal replaced under the server. Nothing
        // is left to record it on, and refusing it would stop the log behind it.
        if (logged.record() instanceof LogRecord.Started s) {
          // Numbered by the database: another process may have taken s.number() meanwhile.
          startAttempt(
              sql,
              s.id(),
              s.trigger(),
              s.started(),
              f == null ? null : f.result(),
              f == null ? null : f.next());
        } else if (logged.record() instanceof LogRecord.Finished finished) {
          updateFinished(
              sql,
              finished.id(),
              finished.number(),
              finished.started(),
              finished.result(),
              finished.next());
        }
      }
    }
    flushInserts(sql);
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

  /**
   * Hands {@code work} to the writer thread and waits until it is committed ({@code synced}: and on
   * the disk).
   */
  @SuppressWarnings("unchecked")
  private <T> T write(boolean inserts, boolean synced, Work<T> work) {
    if (writer == null) {
      throw new IllegalStateException("journal opened for reading only");
    }
    CompletableFuture<Object> done = new CompletableFuture<>();
    // Checked and added under the lock close() takes: no write can land behind the writer's STOP
    // and wait forever.
    synchronized (writes) {
      if (closed) {
        throw new JournalException("the journal " + file + " is closed");
      }
      writes.add(new Write(work, inserts, synced, done));
    }
    waited = true; // cuts short the writer's gathering
    LockSupport.unpark(writerThread);
    try {
      return (T) done.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof JournalException journal) {
        // Rethrown from this thread, so that its stack trace shows the caller.
        throw new JournalException(journal.getMessage(), journal);
      }
      throw new JournalException("journal " + file + ": " + e.getCause(), e.getCause());
    }
  }

  private void writeLoop() {
    List<Entry> batch = new ArrayList<>();
    while (true) {
      if (stalled.isEmpty()) {
        try {
          batch.add(writes.take());
        } catch (InterruptedException e) {
          return;
        }
        if (batch.getFirst() instanceof Logged) {
          // Nobody waits for it: gather more for the same commit, until someone waits. Checked
          // by a flag, not only by unpark(): take() may have used up the unpark's permit.
          long deadline = System.nanoTime() + GATHER.toNanos();
          for (long left = GATHER.toNanos();
              !waited && left > 0;
              left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(this, left);
          }
        }
      } else {
        LockSupport.parkNanos(STALLED_RETRY.toNanos());
        batch.addAll(stalled);
        stalled.clear();
      }
      waited = false; // before the drain: a write added after it sets it again
      writes.drainTo(batch, Math.max(0, MAX_BATCH - batch.size()));
      boolean stop = batch.remove(STOP);
      if (!batch.isEmpty()) {
        try {
          commit(batch);
        } catch (Throwable e) {
          // An Error (out of memory, say) must not end this thread: every later write would wait
          // for it forever. Those waited for fail; logged ones are tried again.
          rollback();
          stall(batch, 0, e);
        }
      }
      batch.clear();
      if (stop) {
        return;
      }
    }
  }

  /**
   * Runs a batch in one transaction. Should it fail as a whole (disk full, a lock), each write is
   * tried again alone, so that one write's failure reaches only its own caller; a logged write the
   * database refuses stays in the log, with those after it, and is tried again a moment later.
   */
  private void commit(List<Entry> batch) {
    boolean sync = false;
    long inserted = 0;
    for (Entry entry : batch) {
      if (entry instanceof Write w) {
        sync |= w.synced();
        inserted += w.inserts() ? 1 : 0;
      } else if (((Logged) entry).record() instanceof LogRecord.Received) {
        inserted++;
      }
    }
    // A full log file is let go of after this commit, so the commit must be on the disk first.
    boolean releasesLog = log != null && log.hasFull();
    sync |= releasesLog;
    List<Object> results = new ArrayList<>(batch.size());
    try {
      if (sync != syncing) {
        execute(writer.connection, "PRAGMA synchronous = " + (sync ? "FULL" : "NORMAL"));
        syncing = sync;
      }
      writer.prepare("BEGIN IMMEDIATE").execute();
      JournalLog.Position last = apply(writer, batch, results);
      if (inserted > 0 && pruneDue(inserted)) {
        prune(writer.connection, retention);
      }
      writer.prepare("COMMIT").execute();
      int next = 0;
      for (Entry entry : batch) {
        if (entry instanceof Write w) {
          w.done().complete(results.get(next++));
        } else if (entry instanceof Logged logged) {
          applied = Math.max(applied, logged.count());
          unapplied.remove(logged.record().deliveryId(), logged);
        }
      }
      if (last != null) {
        moveLogOn(releasesLog, last);
      }
      return;
    } catch (SQLException | RuntimeException e) {
      rollback();
      if (batch.size() == 1) {
        stall(batch, 0, e);
        return;
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      commit(List.of(batch.get(i)));
      if (!stalled.isEmpty()) {
        stall(batch, i + 1, null);
        return;
      }
    }
  }

  /**
   * After a failure: the writes waited for from {@code from} on fail with it, and the logged ones
   * wait for the next try, in order.
   */
  private void stall(List<Entry> batch, int from, Throwable e) {
    RuntimeException why =
        e == null
            ? new JournalException(
                "the journal %s cannot take the deliveries its log holds yet".formatted(file))
            : e instanceof Exception ex ? failure(ex) : new JournalException(e.toString(), e);
    for (Entry entry : batch.subList(from, batch.size())) {
      if (entry instanceof Write w) {
        w.done().completeExceptionally(why);
      } else {
        stalled.add(entry);
      }
    }
  }

  /**
   * Lets go of the full log files the database now has all of (when this commit was synced for it),
   * and makes the next file ready before the one in use is full.
   */
  private void moveLogOn(boolean releasesLog, JournalLog.Position last) {
    try {
      if (releasesLog) {
        log.releaseBefore(last.generation());
      }
      log.prepareSpare();
    } catch (IOException e) {
      // The files stay, and the next start deletes what the database already has; without a
      // spare, the next file is made when it is needed.
    }
  }

  /**
   * Whether to remove old deliveries in this batch. Each removal writes pages of its own, so it
   * runs once a tenth of the count kept has come in (the journal holds at most 10 % more than
   * --keep for a while), or once a minute when kept by age.
   */
  private boolean pruneDue(long inserted) {
    if (retention == null) {
      return false;
    }
    insertedSincePrune += inserted;
    boolean due =
        retention.age() != null
            ? System.nanoTime() - lastAgePrune > TimeUnit.MINUTES.toNanos(1)
            : insertedSincePrune >= Math.max(1, retention.count() / 10);
    if (due) {
      insertedSincePrune = 0;
      lastAgePrune = System.nanoTime();
    }
    return due;
  }

  private RuntimeException failure(Exception e) {
    return e instanceof SQLException sql
        ? translate(file, sql)
        : e instanceof JournalException journal ? journal : new JournalException(e.toString(), e);
  }

  private void rollback() {
    try {
      execute(writer.connection, "ROLLBACK");
    } catch (SQLException e) {
      // No transaction left to undo (it failed before BEGIN, or SQLite already rolled it back).
    }
  }

  // ---- reads ----

  @Override
  public Optional<DeliveryRecord> find(String id) {
    return read(sql -> findIn(sql, id));
  }

  private static Optional<DeliveryRecord> findIn(Statements sql, String id) throws SQLException {
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
                integer(rs, "exit_status"),
                longOrNull(rs, "duration_ms"),
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
            headers(headers),
            output,
            stderr,
            attempts));
  }

  @Override
  public List<DeliverySummary> list(Query query) {
    return read(
        sql -> {
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
        });
  }

  private <T> T read(Work<T> work) {
    if (closed) {
      throw new JournalException("the journal " + file + " is closed");
    }
    if (log != null && applied < appended) {
      // Read your writes: wait until the database has what the log holds so far.
      write(false, false, sql -> null);
    }
    return readNow(work);
  }

  /** Reads what the database holds now. */
  private <T> T readNow(Work<T> work) {
    synchronized (reader) {
      try {
        // One snapshot for the whole read: a delivery is two statements (its row, its earlier
        // attempts), and replay in another process may start an attempt between them.
        reader.prepare("BEGIN").execute();
        T result;
        try {
          result = work.run(reader);
        } catch (SQLException | RuntimeException e) {
          // SQLite may have ended the transaction itself (a full disk, I/O): the error that
          // matters is the read's, and the connection must not stay inside a transaction.
          try {
            reader.prepare("ROLLBACK").execute();
          } catch (SQLException ignored) {
            // no transaction was left open
          }
          throw e;
        }
        reader.prepare("COMMIT").execute(); // ends the read; it wrote nothing
        return result;
      } catch (SQLException e) {
        throw translate(file, e);
      }
    }
  }

  private static List<DeliverySummary> summaries(PreparedStatement p) throws SQLException {
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
        integer(rs, "exit_status"),
        longOrNull(rs, "duration_ms"),
        rs.getString("error"));
  }

  private static Map<String, String> headers(String json) {
    try {
      return Json.MAPPER.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      return Map.of();
    }
  }

  private static Integer integer(ResultSet rs, String column) throws SQLException {
    int value = rs.getInt(column);
    return rs.wasNull() ? null : value;
  }

  private static Long longOrNull(ResultSet rs, String column) throws SQLException {
    long value = rs.getLong(column);
    return rs.wasNull() ? null : value;
  }

  private static void setInteger(PreparedStatement p, int index, Integer value)
      throws SQLException {
    if (value == null) {
      p.setNull(index, Types.INTEGER);
    } else {
      p.setInt(index, value);
    }
  }

  // ---- errors and closing ----

  /** One line that says what is wrong with the journal and what to do. */
  static JournalException translate(Path file, SQLException e) {
    if (e instanceof SQLiteException sqlite) {
      SQLiteErrorCode code = sqlite.getResultCode();
      int primary = code.code & 0xff;
      if (primary == SQLiteErrorCode.SQLITE_BUSY.code
          || primary == SQLiteErrorCode.SQLITE_LOCKED.code) {
        return new JournalException(
            "the journal %s is locked by another program (still busy after %d s): wait for it,"
                    .formatted(file, BUSY_TIMEOUT.toSeconds())
                + " or stop it",
            e);
      }
      if (primary == SQLiteErrorCode.SQLITE_NOTADB.code) {
        return new JournalException(notAJournal(file, "not an SQLite database"), e);
      }
      if (primary == SQLiteErrorCode.SQLITE_CORRUPT.code) {
        return new JournalException(
            "the journal %s is damaged: move it away (a new one is made), or pass another"
                    .formatted(file)
                + " --data-dir",
            e);
      }
      if (primary == SQLiteErrorCode.SQLITE_READONLY.code
          || primary == SQLiteErrorCode.SQLITE_CANTOPEN.code
          || primary == SQLiteErrorCode.SQLITE_PERM.code
          || primary == SQLiteErrorCode.SQLITE_IOERR.code
          || primary == SQLiteErrorCode.SQLITE_FULL.code) {
        return new JournalException(
            "cannot use the journal %s (%s): check that its folder is writable and has room,"
                    .formatted(file, code.message)
                + " or pass another --data-dir",
            e);
      }
    }
    return new JournalException("journal " + file + ": " + e.getMessage(), e);
  }

  /** Waits for the writes already handed over, then closes the file. */
  @Override
  public void close() {
    synchronized (writes) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (checkpointer != null) {
      checkpointer.shutdownNow();
      try {
        checkpointer.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      closeQuietly(checkpoints);
    }
    if (writerThread != null) {
      writes.add(STOP);
      LockSupport.unpark(writerThread);
      try {
        writerThread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (log != null) {
        closeLog();
      }
      writer.close();
    }
    synchronized (reader) {
      reader.close();
    }
  }

  /**
   * Deletes the log when the database has all of it, once that is on the disk (a checkpoint syncs
   * the WAL first); keeps it for the next start otherwise.
   */
  private void closeLog() {
    boolean applyAll = stalled.isEmpty() && applied == appended;
    if (applyAll) {
      try {
        execute(writer.connection, "PRAGMA wal_checkpoint(FULL)");
      } catch (SQLException e) {
        applyAll = false;
      }
    }
    try {
      log.close(applyAll);
    } catch (IOException e) {
      // Left behind: the next start finds the database has these records and deletes them.
    }
  }

  private static void closeQuietly(Connection connection) {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // Already failing: the first error is the one reported.
      }
    }
  }

  /** A connection and its prepared statements, made once and reused (one thread at a time). */
  private static final class Statements {
    final Connection connection;
    private final Map<String, PreparedStatement> prepared = new HashMap<>();

    Statements(Connection connection) {
      this.connection = connection;
    }

    PreparedStatement prepare(String sql) throws SQLException {
      PreparedStatement p = prepared.get(sql);
      if (p == null) {
        p = connection.prepareStatement(sql);
        prepared.put(sql, p);
      }
      return p;
    }

    void close() {
      prepared
          .values()
          .forEach(
              p -> {
                try {
                  p.close();
                } catch (SQLException e) {
                  // Closing: nothing to report.
                }
              });
      closeQuietly(connection);
    }
  }
}
