package dev.hfwebhooks.journal;

import dev.hfwebhooks.journal.postgres.PostgresJournal;
import dev.hfwebhooks.journal.postgres.PostgresUrl;
import dev.hfwebhooks.journal.sqlite.SqliteJournal;
import java.nio.file.Files;
import java.nio.file.Path;
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
  static JournalStore of(String journal, Path dataDir) {
    if (journal == null || journal.isBlank()) {
      return new InDataDir(dataDir);
    }
    return new Shared(PostgresUrl.parse(journal));
  }

  /** A journal serve writes to, with what keeps another serve off it until closed. */
  record ForServe(Journal journal, @Nullable AutoCloseable hold) implements AutoCloseable {
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
  ForServe openForServe(Retention retention);

  /** Opens an existing journal to add attempts to it ({@code replay}). */
  Journal openToWrite();

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
    public ForServe openForServe(Retention retention) {
      DataDir.checkWritable(dir);
      DataDir.Lock lock = DataDir.lock(dir);
      try {
        return new ForServe(SqliteJournal.openForServe(file(), retention), lock);
      } catch (RuntimeException e) {
        lock.close();
        throw e;
      }
    }

    @Override
    public Journal openToWrite() {
      return SqliteJournal.open(file(), null);
    }

    @Override
    public Journal openForReading() {
      return SqliteJournal.openForReading(file());
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
    public ForServe openForServe(Retention retention) {
      return new ForServe(PostgresJournal.openForServe(url, retention), null);
    }

    @Override
    public Journal openToWrite() {
      return PostgresJournal.open(url);
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
