package dev.hfwebhooks.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.hfwebhooks.payload.Json;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import org.sqlite.SQLiteOpenMode;

/**
 * The journal in one embedded SQLite file, in WAL mode. Every write that returns is in the file, so
 * it survives the server's crash (kill -9). Queuing a delivery ({@link #enqueue}, what {@code
 * --async} acknowledges) is also synced to the disk ({@code synchronous=FULL}), so it survives a
 * power loss too; the other writes are not waited on for that ({@code synchronous=NORMAL}): after a
 * power loss the last of them may be missing, which at worst runs a delivery once more (at least
 * once), and the next synced write makes them durable as well.
 *
 * <p>All writes go through one thread that commits them in batches (group commit): under load many
 * deliveries share one sync, and SQLite, which allows one writer at a time, never sees two of ours
 * compete. Reads use a connection of their own, which WAL lets run beside the writer. Another
 * process ({@code replay}, {@code deliveries}) may open the same file; SQLite's locks keep it
 * consistent, and a lock held longer than {@link #BUSY_TIMEOUT} is reported as such.
 */
public final class SqliteJournal implements Journal {
  /** The journal's file name inside the data dir. */
  public static final String FILE_NAME = "journal.db";

  static final Duration BUSY_TIMEOUT = Duration.ofSeconds(5);

  /** Writes committed together at most; more wait for the next commit. */
  private static final int MAX_BATCH = 256;

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
        status      TEXT NOT NULL,        -- queued, running, succeeded, failed, timed_out
        attempts    INTEGER NOT NULL,
        exit_status INTEGER,              -- of the latest attempt, as are the columns below
        duration_ms INTEGER,
        error       TEXT,
        output      TEXT,
        stderr      TEXT
      );
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
      """;

  // No index beyond the two keys: each costs every write, and what else reads the table (lists,
  // recovery at start) scans at most --keep rows, in milliseconds.
  private static final String SUMMARY =
      "SELECT seq, id, received, handler, status, attempts, exit_status, duration_ms, error";

  private static final String INTERRUPTED = "interrupted: the server stopped during this attempt";

  /** One write and whoever waits for it. */
  private record Write(
      Work<?> work, boolean inserts, boolean synced, CompletableFuture<Object> done) {}

  /** SQL run on the writer's connection, inside its transaction. */
  @FunctionalInterface
  private interface Work<T> {
    T run(Statements sql) throws SQLException;
  }

  private static final Write STOP = new Write(sql -> null, false, false, new CompletableFuture<>());

  private final Path file;
  private final Retention retention;
  private final Statements reader;
  private final Statements writer;
  private final BlockingQueue<Write> writes = new LinkedBlockingQueue<>();
  private final Thread writerThread;

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
      Connection writer,
      Connection checkpoints) {
    this.file = file;
    this.retention = retention;
    this.reader = new Statements(reader);
    this.writer = writer == null ? null : new Statements(writer);
    this.checkpoints = checkpoints;
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
   * that to serve).
   */
  public static SqliteJournal open(Path file, Retention retention) {
    Connection writer = null;
    try {
      writer = connect(file, true, BUSY_TIMEOUT);
      execute(writer, "BEGIN IMMEDIATE");
      migrate(file, writer);
      prune(writer, retention);
      execute(writer, "COMMIT");
      execute(writer, "PRAGMA wal_autocheckpoint = 0"); // the checkpointer does it
      return new SqliteJournal(
          file,
          retention,
          connect(file, false, BUSY_TIMEOUT),
          writer,
          connect(file, false, BUSY_TIMEOUT));
    } catch (SQLException e) {
      closeQuietly(writer);
      throw translate(file, e);
    } catch (JournalException e) {
      closeQuietly(writer);
      throw e;
    }
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
      return new SqliteJournal(file, Retention.DEFAULT, reader, null, null);
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
    if (create) {
      // WAL: readers (the landing page, deliveries) never block the writer, nor it them; FULL
      // syncs the log on every commit, which is what "durably journaled" promises.
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    } else {
      config.resetOpenMode(SQLiteOpenMode.CREATE);
    }
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout((int) busy.toMillis());
    config.enforceForeignKeys(true);
    return config.createConnection("jdbc:sqlite:" + file);
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

  private static void migrate(Path file, Connection connection) throws SQLException {
    int version = userVersion(connection);
    if (version == 0) {
      try (Statement s = connection.createStatement()) {
        try (ResultSet tables =
            s.executeQuery("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")) {
          if (tables.next() && tables.getInt(1) > 0) {
            throw new JournalException(notAJournal(file, "it holds other tables"));
          }
        }
        for (String statement : SCHEMA.split(";\n")) {
          if (!statement.isBlank()) {
            s.execute(statement);
          }
        }
        s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
      }
    } else {
      checkVersion(file, version);
    }
  }

  private static void checkVersion(Path file, int version) {
    if (version > SCHEMA_VERSION) {
      throw new JournalException(
          "the journal %s was written by a newer hf-webhooks (format %d; this one reads %d):"
                  .formatted(file, version, SCHEMA_VERSION)
              + " upgrade, or pass another --data-dir");
    }
  }

  private static String notAJournal(Path file, String why) {
    return "%s is not an hf-webhooks journal (%s): move it away, or pass another --data-dir"
        .formatted(file, why);
  }

  /** Removes finished deliveries beyond what is kept; never a queued or running one. */
  private static void prune(Connection connection, Retention retention) throws SQLException {
    if (retention == null) {
      return;
    }
    String finished = " AND status NOT IN ('queued', 'running')";
    if (retention.age() != null) {
      // Arrival order is time order: everything before the first delivery young enough to keep is
      // old, and finding it reads only the old rows.
      try (PreparedStatement p =
          connection.prepareStatement(
              "DELETE FROM deliveries WHERE seq < coalesce((SELECT seq FROM deliveries WHERE"
                  + " received >= ? ORDER BY seq LIMIT 1), (SELECT max(seq) + 1 FROM deliveries))"
                  + finished)) {
        p.setLong(1, Instant.now().minus(retention.age()).toEpochMilli());
        p.executeUpdate();
      }
    } else {
      // seq grows by one per delivery and rows go oldest first, so the newest N are those above
      // max - N: a range on the primary key, cheap enough to run on every commit.
      try (PreparedStatement p =
          connection.prepareStatement(
              "DELETE FROM deliveries WHERE seq <= (SELECT max(seq) FROM deliveries) - ?"
                  + finished)) {
        p.setLong(1, retention.count());
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
    write(
        true,
        true,
        sql -> {
          insert(sql, delivery, Status.QUEUED, 0);
          return null;
        });
  }

  @Override
  public int acceptRunning(NewDelivery delivery) {
    return write(
        true,
        false,
        sql -> {
          insert(sql, delivery, Status.RUNNING, 1);
          insertAttempt(sql, delivery.id(), 1, Trigger.RECEIVED);
          return 1;
        });
  }

  @Override
  public int start(String id, Trigger trigger) {
    return write(
        false,
        false,
        sql -> {
          PreparedStatement find = sql.prepare("SELECT attempts FROM deliveries WHERE id = ?");
          find.setString(1, id);
          int number;
          try (ResultSet rs = find.executeQuery()) {
            if (!rs.next()) {
              throw new JournalException("no delivery " + id + " in " + file);
            }
            number = rs.getInt(1) + 1;
          }
          PreparedStatement update =
              sql.prepare("UPDATE deliveries SET status = 'running', attempts = ? WHERE id = ?");
          update.setInt(1, number);
          update.setString(2, id);
          update.executeUpdate();
          insertAttempt(sql, id, number, trigger);
          return number;
        });
  }

  @Override
  public void finish(String id, int number, AttemptResult result, Status next) {
    write(
        false,
        false,
        sql -> {
          PreparedStatement attempt =
              sql.prepare(
                  "UPDATE attempts SET status = ?, exit_status = ?, duration_ms = ?, error = ?"
                      + " WHERE delivery = ? AND number = ?");
          attempt.setString(1, result.status().label());
          setInteger(attempt, 2, result.exitStatus());
          attempt.setLong(3, result.durationMs());
          attempt.setString(4, result.error());
          attempt.setString(5, id);
          attempt.setInt(6, number);
          attempt.executeUpdate();
          PreparedStatement delivery =
              sql.prepare(
                  "UPDATE deliveries SET status = ?, exit_status = ?, duration_ms = ?, error = ?,"
                      + " output = ?, stderr = ? WHERE id = ?");
          delivery.setString(1, next.label());
          setInteger(delivery, 2, result.exitStatus());
          delivery.setLong(3, result.durationMs());
          delivery.setString(4, result.error());
          delivery.setString(5, result.output());
          delivery.setString(6, result.stderr());
          delivery.setString(7, id);
          if (delivery.executeUpdate() == 0) {
            throw new JournalException("no delivery " + id + " in " + file);
          }
          return null;
        });
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
                  "UPDATE deliveries SET status = 'queued', error = ? WHERE status = 'running'");
          deliveries.setString(1, INTERRUPTED);
          deliveries.executeUpdate();
          PreparedStatement queued =
              sql.prepare(SUMMARY + " FROM deliveries WHERE status = 'queued' ORDER BY seq");
          return summaries(queued);
        });
  }

  private static void insert(Statements sql, NewDelivery d, Status status, int attempts)
      throws SQLException {
    PreparedStatement insert =
        sql.prepare(
            "INSERT INTO deliveries (id, received, handler, body, headers, status, attempts)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.setString(1, d.id());
    insert.setLong(2, d.received().toEpochMilli());
    insert.setString(3, d.handler());
    insert.setBytes(4, d.body());
    insert.setString(5, Json.write(Json.MAPPER.valueToTree(d.headers())));
    insert.setString(6, status.label());
    insert.setInt(7, attempts);
    insert.executeUpdate();
  }

  private static void insertAttempt(Statements sql, String id, int number, Trigger trigger)
      throws SQLException {
    PreparedStatement attempt =
        sql.prepare(
            "INSERT INTO attempts (delivery, number, trigger, started, status)"
                + " VALUES (?, ?, ?, ?, 'running')");
    attempt.setString(1, id);
    attempt.setInt(2, number);
    attempt.setString(3, trigger.label());
    attempt.setLong(4, Instant.now().toEpochMilli());
    attempt.executeUpdate();
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
    List<Write> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(writes.take());
      } catch (InterruptedException e) {
        return;
      }
      writes.drainTo(batch, MAX_BATCH - 1);
      boolean stop = batch.remove(STOP);
      if (!batch.isEmpty()) {
        try {
          commit(batch);
        } catch (Throwable e) {
          // An Error (out of memory, say) must not end this thread: every later write would wait
          // for it forever. Those of this batch fail; the next batch is tried afresh.
          rollback();
          for (Write w : batch) {
            w.done().completeExceptionally(new JournalException("journal " + file + ": " + e, e));
          }
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
   * tried again alone, so that one write's failure reaches only its own caller.
   */
  private void commit(List<Write> batch) {
    List<Object> results = new ArrayList<>(batch.size());
    try {
      boolean sync = batch.stream().anyMatch(Write::synced);
      if (sync != syncing) {
        execute(writer.connection, "PRAGMA synchronous = " + (sync ? "FULL" : "NORMAL"));
        syncing = sync;
      }
      writer.prepare("BEGIN IMMEDIATE").execute();
      boolean inserts = false;
      for (Write w : batch) {
        results.add(w.work().run(writer));
        inserts |= w.inserts();
      }
      if (inserts && pruneDue(batch)) {
        prune(writer.connection, retention);
      }
      writer.prepare("COMMIT").execute();
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).done().complete(results.get(i));
      }
      return;
    } catch (SQLException | RuntimeException e) {
      rollback();
      if (batch.size() == 1) {
        batch.getFirst().done().completeExceptionally(failure(e));
        return;
      }
    }
    for (Write w : batch) {
      commit(List.of(w));
    }
  }

  /**
   * Whether to remove old deliveries in this batch. Each removal writes pages of its own, so it
   * runs once a tenth of the count kept has come in (the journal holds at most 10 % more than
   * --keep for a while), or once a minute when kept by age.
   */
  private boolean pruneDue(List<Write> batch) {
    if (retention == null) {
      return false;
    }
    insertedSincePrune += batch.stream().filter(Write::inserts).count();
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
    return read(
        sql -> {
          PreparedStatement p =
              sql.prepare(SUMMARY + ", body, headers, output, stderr FROM deliveries WHERE id = ?");
          p.setString(1, id);
          DeliverySummary summary;
          byte[] body;
          String headers;
          String output;
          String stderr;
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
          return Optional.of(
              new DeliveryRecord(
                  summary,
                  body == null ? new byte[0] : body,
                  headers(headers),
                  output,
                  stderr,
                  attempts));
        });
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
    synchronized (reader) {
      try {
        return work.run(reader);
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
      try {
        writerThread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      writer.close();
    }
    synchronized (reader) {
      reader.close();
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
