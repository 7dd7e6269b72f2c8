package dev.hfwebhooks.journal.sqlite;

import static dev.hfwebhooks.journal.sqlite.Statements.closeQuietly;
import static dev.hfwebhooks.journal.sqlite.Statements.execute;

import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DeliveryBusy;
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
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

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
 * background, a few hundred per transaction ({@link LoggedWrites}). The log is as safe as a commit
 * (it is the same page cache), and a start after a crash moves what it holds into the database
 * before anything else. Reads made through this object wait until the database has every write made
 * before them; another process reading the file may see a delivery up to 20 ms late.
 *
 * <p>All writes go through one thread that commits them in batches ({@link Writer}): SQLite, which
 * allows one writer at a time, never sees two of ours compete. Reads use a connection of their own
 * ({@link Reader}), which WAL lets run beside the writer. Another process ({@code replay}, {@code
 * deliveries}) may open the same file; SQLite's locks keep it consistent, and a lock held longer
 * than 5 s is reported as such.
 */
public final class SqliteJournal implements Journal {
  /** The journal's file name inside the data dir. */
  public static final String FILE_NAME = "journal.db";

  /** The prefix of the log's file names, after which comes the generation. */
  static final String LOG_PREFIX = FILE_NAME + "-log-";

  /** The size of a log file: a record that does not fit goes to the next one (a reused file). */
  private static final int LOG_FILE_SIZE = 16 << 20;

  private final Path file;
  private final Reader reader;

  /** Null when opened for reading only. */
  private final @Nullable Writer writer;

  /** Null unless opened for serve. */
  private final @Nullable LoggedWrites logged;

  /** Null when opened for reading only. */
  private final @Nullable Checkpointer checkpointer;

  /**
   * Opened by {@code replay} while a serve holds the data dir: what that serve has queued or
   * running is its own to run ({@link #startReplay}).
   */
  private boolean besideServe;

  private SqliteJournal(
      Path file,
      Reader reader,
      @Nullable Writer writer,
      @Nullable LoggedWrites logged,
      @Nullable Checkpointer checkpointer) {
    this.file = file;
    this.reader = reader;
    this.writer = writer;
    this.logged = logged;
    this.checkpointer = checkpointer;
  }

  /**
   * Opens the journal at {@code file} for reading and writing, creating it when missing, and
   * removes what {@code retention} no longer keeps (nothing when it is null: {@code replay} leaves
   * that to serve). Each write is committed before it returns; a server may have the file open too.
   */
  public static SqliteJournal open(Path file, @Nullable Retention retention) {
    return open(file, retention, 0, line -> {});
  }

  /**
   * As {@link #open}, for {@code replay} while a serve holds the data dir ({@code served}): a
   * delivery that serve has queued or running is refused ({@link #startReplay}).
   */
  public static SqliteJournal openToReplay(Path file, boolean served) {
    SqliteJournal journal = open(file, null);
    journal.besideServe = served;
    return journal;
  }

  /**
   * Opens the journal for serve, with its write-ahead log: first moves into the database what the
   * log of a server that died still holds. The caller must hold the data dir's lock, so that no
   * other server writes to the same log.
   */
  public static SqliteJournal openForServe(Path file, Retention retention) {
    return openForServe(file, retention, line -> {});
  }

  /**
   * As {@link #openForServe(Path, Retention)}; when the database refuses the log's records (a full
   * disk), and when it takes them again, one line says so to {@code warnings}.
   */
  public static SqliteJournal openForServe(
      Path file, Retention retention, Consumer<String> warnings) {
    return open(file, retention, LOG_FILE_SIZE, warnings);
  }

  /**
   * As {@link #openForServe(Path, Retention, Consumer)}, with log files of about {@code
   * logFileSize}; without a log for 0, each write then a transaction of its own, as {@link #open}
   * has them.
   */
  static SqliteJournal openForServe(
      Path file, Retention retention, int logFileSize, Consumer<String> warnings) {
    return open(file, retention, logFileSize, warnings);
  }

  /** Opens with a log whose files move on past {@code logFileSize} bytes, or without one (0). */
  private static SqliteJournal open(
      Path file, @Nullable Retention retention, int logFileSize, Consumer<String> warnings) {
    boolean withLog = logFileSize > 0;
    Pruner pruner = new Pruner(retention);
    Connection connection = null;
    try {
      connection = Schema.connect(file, true);
      Statements sql = new Statements(connection);
      execute(connection, "BEGIN IMMEDIATE");
      Schema.createOrCheck(file, connection);
      long generation = withLog ? LogApplier.recover(file, sql) : 0;
      pruner.prune(connection);
      execute(connection, "COMMIT");
      execute(connection, "PRAGMA wal_autocheckpoint = 0"); // the Checkpointer does it
      JournalLog log = null; // without one
      if (withLog) {
        // Committed (and synced: the connection is FULL as opened), so the old files can go.
        LogApplier.deleteLog(file);
        log = JournalLog.start(LogApplier.folder(file), LOG_PREFIX, generation, logFileSize);
      }
      // Both connected before any thread starts, so that a failure here leaves none running.
      Reader reader = new Reader(file, new Statements(Schema.connect(file, false)));
      Connection checkpoints = Schema.connect(file, false);
      Writer writer = new Writer(file, sql, pruner, log, warnings);
      return new SqliteJournal(
          file,
          reader,
          writer,
          withLog ? new LoggedWrites(file, writer, reader) : null,
          new Checkpointer(checkpoints));
    } catch (SQLException e) {
      closeQuietly(connection);
      throw Errors.translate(file, e);
    } catch (IOException e) {
      closeQuietly(connection);
      throw Errors.log(file, "use", e);
    } catch (JournalException e) {
      closeQuietly(connection);
      throw e;
    }
  }

  /** Whether log files are beside the journal at {@code file}: a serve's, running or stopped. */
  public static boolean hasLog(Path file) {
    return LogApplier.logPresent(file);
  }

  /**
   * Moves into the database what the log beside it holds, then deletes the log, as serve's start
   * does; the caller holds the data dir's lock. Fails, saying so, while the database cannot take it
   * (a disk still full): showing the deliveries without them would hide ones that were answered.
   */
  public static void applyLog(Path file) {
    LogApplier.applyAndDelete(file);
  }

  /** Opens an existing journal to read it only ({@code deliveries}). */
  public static SqliteJournal openForReading(Path file) {
    if (!Files.exists(file)) {
      throw new JournalException(
          "no journal at %s: serve records deliveries there once it has run with this data dir"
              .formatted(file));
    }
    Connection connection = null;
    try {
      connection = Schema.connect(file, false);
      Schema.checkReadable(file, connection);
      return new SqliteJournal(
          file, new Reader(file, new Statements(connection)), null, null, null);
    } catch (SQLException e) {
      closeQuietly(connection);
      throw Errors.translate(file, e);
    } catch (JournalException e) {
      closeQuietly(connection);
      throw e;
    }
  }

  @Override
  public String location() {
    return file.toString();
  }

  // ---- writes ----

  @Override
  public void enqueue(NewDelivery delivery) {
    if (logged != null) {
      logged.enqueue(delivery);
      return;
    }
    change(true, true, sql -> RowWrites.insert(sql, delivery, null, null, null, false));
  }

  @Override
  public int acceptRunning(NewDelivery delivery) {
    if (logged != null) {
      return logged.acceptRunning(delivery);
    }
    return write(
        true,
        false,
        sql -> {
          RowWrites.insert(sql, delivery, Trigger.RECEIVED, Instant.now(), null, false);
          return 1;
        });
  }

  @Override
  public int start(String id, Trigger trigger) {
    if (logged != null) {
      // Numbered like a worker's start, so that the two cannot both take the same number.
      return logged.startAndRead(id, trigger).number();
    }
    int number =
        write(
            false,
            false,
            sql -> RowWrites.startAttempt(sql, id, trigger, Instant.now(), null, null));
    if (number == 0) {
      throw Errors.noDelivery(file, id);
    }
    return number;
  }

  /**
   * In serve (the console's replay), see {@link LoggedWrites#startReplay}. Beside a serve ({@code
   * replay}), the status is read and the start recorded in one transaction. What serve writes
   * reaches the file up to 20 ms late, but only from one unfinished state to another, or to a
   * finished one: a finished delivery read here stays finished, except for serve's own console
   * replay. Without a serve, {@code queued} or {@code running} is what a stopped one left, and the
   * replay runs it.
   */
  @Override
  public int startReplay(String id) {
    if (logged != null) {
      return logged.startReplay(id).number(); // the console's, in serve
    }
    if (!besideServe) {
      return start(id, Trigger.REPLAY);
    }
    return write(
        false,
        false,
        sql -> {
          PreparedStatement find = sql.prepare("SELECT status FROM deliveries WHERE id = ?");
          find.setString(1, id);
          try (ResultSet rs = find.executeQuery()) {
            if (!rs.next()) {
              throw Errors.noDelivery(file, id);
            }
            Status status = Status.parse(rs.getString(1));
            if (status == Status.QUEUED || status == Status.RUNNING) {
              throw new DeliveryBusy(
                  id, status, "the serve or replay that holds " + file.getParent());
            }
          }
          return RowWrites.startAttempt(sql, id, Trigger.REPLAY, Instant.now(), null, null);
        });
  }

  /**
   * Without a log, one transaction: a worker's attempt costs one commit, not a commit and a read.
   * With the log (serve), no commit at all: see {@link LoggedWrites#startAndRead}.
   */
  @Override
  public Started startAndRead(String id, Trigger trigger) {
    if (logged != null) {
      return logged.startAndRead(id, trigger);
    }
    return write(
        false,
        false,
        sql -> {
          int number = RowWrites.startAttempt(sql, id, trigger, Instant.now(), null, null);
          if (number == 0) {
            throw Errors.noDelivery(file, id);
          }
          return new Started(number, RowReads.byId(sql, id).orElseThrow());
        });
  }

  @Override
  public void finish(String id, int number, AttemptResult result, Status next) {
    if (logged != null) {
      logged.finish(id, number, result, next);
      return;
    }
    change(
        false,
        false,
        sql -> {
          if (!RowWrites.finish(sql, id, number, null, result, next)) {
            throw Errors.noDelivery(file, id);
          }
        });
  }

  @Override
  public List<DeliverySummary> recover() {
    return write(false, false, RowWrites::recover);
  }

  @Override
  public Held hold(NewDelivery delivery, String key, Duration wait, Duration max) {
    return write(true, true, sql -> RowWrites.hold(sql, delivery, key, wait, max));
  }

  @Override
  public boolean release(String id) {
    return write(false, false, sql -> RowWrites.release(sql, id));
  }

  /** Hands {@code work} to the writer thread and waits until it is committed. */
  private <T> T write(boolean inserts, boolean synced, Statements.Work<T> work) {
    if (writer == null) {
      throw new IllegalStateException("journal opened for reading only");
    }
    return writer.write(inserts, synced, work);
  }

  /** As {@link #write}, for a change that returns nothing. */
  private void change(boolean inserts, boolean synced, Statements.Step step) {
    write(inserts, synced, step.work());
  }

  // ---- reads ----

  @Override
  public Optional<DeliveryRecord> find(String id) {
    return read(sql -> RowReads.find(sql, id));
  }

  @Override
  public List<DeliverySummary> list(Query query) {
    return read(sql -> RowReads.list(sql, query));
  }

  @Override
  public List<Pending> held() {
    return read(RowReads::held);
  }

  private <T> T read(Statements.Work<T> work) {
    if (logged != null) {
      logged.catchUp(); // read your writes: the database gets what the log holds so far
    }
    return reader.read(work);
  }

  /** Waits for the writes already handed over, then closes the file. */
  @Override
  public void close() {
    if (checkpointer != null) {
      checkpointer.close();
    }
    if (writer != null) {
      writer.close();
    }
    reader.close();
  }
}
