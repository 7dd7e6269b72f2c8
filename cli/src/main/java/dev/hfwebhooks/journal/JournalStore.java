package dev.hfwebhooks.journal;

import dev.hfwebhooks.journal.postgres.PostgresJournal;
import dev.hfwebhooks.journal.postgres.PostgresUrl;
import dev.hfwebhooks.journal.sqlite.SqliteJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Where the journal is kept, as {@code --journal} and {@code --data-dir} say: an SQLite file in the
 * data dir (one server), or a PostgreSQL database several servers share. Every command opens its
 * journal through this, so none needs to know which it holds.
 */
public sealed interface JournalStore {

  /**
   * The store a command's options name: the database of {@code journal} when it is given (a {@code
   * postgresql://} URL), else the SQLite file in {@code dataDir}.
   *
   * @throws IllegalArgumentException when {@code journal} is given but is no usable URL
   */
  static JournalStore of(@Nullable String journal, Path dataDir) {
    if (journal == null || journal.isBlank()) {
      return new InDataDir(dataDir);
    }
    return new Shared(PostgresUrl.parse(journal));
  }

  /**
   * A journal opened to write, with what keeps another serve (or, for a replay, a serve) off it
   * until closed.
   */
  record Held(Journal journal, @Nullable AutoCloseable hold) implements AutoCloseable {
    @Override
    public void close() {
      journal.close();
      if (hold != null) {
        try {
          hold.close();
        } catch (Exception e) {
          // Released with the process anyway.
        }
      }
    }
  }

  /**
   * Opens the journal for serve, creating it when missing, and removes what {@code retention} no
   * longer keeps; fails at once when serve could not record deliveries there.
   */
  default Held openForServe(Retention retention) {
    return openForServe(retention, line -> {});
  }

  /**
   * As {@link #openForServe(Retention)}; what goes wrong while serving that the server's log should
   * say (once, not per delivery) goes to {@code warnings}.
   */
  Held openForServe(Retention retention, Consumer<String> warnings);

  /**
   * Opens an existing journal to add attempts to it ({@code replay}): one that refuses to replay
   * what a serve has queued or running ({@link Journal#startReplay}), and that a serve starting
   * meanwhile does not take for a crash's leftovers.
   */
  Held openToWrite();

  /** Opens an existing journal to read it ({@code deliveries}). */
  Journal openForReading();

  /**
   * Whether there may be a journal to read: false only when its file is missing (serve never ran
   * with this data dir); a database's tables are checked when it is opened.
   */
  boolean exists();

  /** Where it is, for messages: a file, or the database's URL without its password. */
  String location();

  /** The SQLite journal in a data dir, which one serve holds at a time. */
  record InDataDir(Path dir) implements JournalStore {
    public Path file() {
      return DataDir.journal(dir);
    }

    @Override
    public Held openForServe(Retention retention, Consumer<String> warnings) {
      DataDir.checkWritable(dir);
      DataDir.Lock lock = DataDir.lock(dir, warnings);
      try {
        return new Held(SqliteJournal.openForServe(file(), retention, warnings), lock);
      } catch (RuntimeException e) {
        lock.close();
        throw e;
      }
    }

    @Override
    public Held openToWrite() {
      // Without a serve, the replay holds the data dir while it runs: a serve started meanwhile
      // waits, rather than take the running delivery for one a crash left and run it again.
      DataDir.Lock lock = DataDir.tryLock(dir, DataDir.Holder.REPLAY);
      if (lock == null) {
        return new Held(SqliteJournal.openToReplay(file(), true), null);
      }
      try {
        if (SqliteJournal.hasLog(file())) {
          SqliteJournal.applyLog(file());
        }
        return new Held(SqliteJournal.openToReplay(file(), false), lock);
      } catch (RuntimeException e) {
        lock.close();
        throw e;
      }
    }

    @Override
    public Journal openForReading() {
      applyLeftLog();
      return SqliteJournal.openForReading(file());
    }

    /**
     * Moves into the database what the log of a serve that stopped on a full disk kept, as its next
     * start would: {@code deliveries} then shows every delivery it answered. Left alone while a
     * serve runs: the log is its own, and reads of the file see its writes 20 ms late at most.
     */
    private void applyLeftLog() {
      if (!SqliteJournal.hasLog(file())) {
        return;
      }
      try (DataDir.Lock lock = DataDir.tryLock(dir)) {
        if (lock != null) {
          SqliteJournal.applyLog(file());
        }
      }
    }

    @Override
    public boolean exists() {
      return Files.exists(file());
    }

    @Override
    public String location() {
      return file().toString();
    }
  }

  /** A PostgreSQL database any number of servers share. */
  record Shared(PostgresUrl url) implements JournalStore {
    @Override
    public Held openForServe(Retention retention, Consumer<String> warnings) {
      // Its connections report their own failures, one per write, to whoever waits for it.
      return new Held(PostgresJournal.openForServe(url, retention), null);
    }

    @Override
    public Held openToWrite() {
      return new Held(PostgresJournal.open(url), null);
    }

    @Override
    public Journal openForReading() {
      return PostgresJournal.openForReading(url);
    }

    @Override
    public boolean exists() {
      return true;
    }

    @Override
    public String location() {
      return url.toString();
    }
  }
}
