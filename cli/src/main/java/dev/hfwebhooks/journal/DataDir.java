package dev.hfwebhooks.journal;

import dev.hfwebhooks.journal.sqlite.SqliteJournal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The folder that holds the journal: where it is by default, whether serve can write there, and the
 * lock that keeps a second serve off it (and serve off a delivery a lone replay is running).
 */
public final class DataDir {
  /** A Space's persistent storage, mounted here when the Space has some. */
  static final Path SPACE_STORAGE = Path.of("/data");

  private static final String LOCK_FILE = "serve.lock";

  private DataDir() {}

  /**
   * The default: on a Hugging Face Space with persistent storage, {@code /data/hf-webhooks} (the
   * rest of a Space's disk is lost on restart); elsewhere {@code $XDG_STATE_HOME/hf-webhooks}, else
   * {@code ~/.local/state/hf-webhooks} (the XDG base directory for state).
   */
  public static Path defaultPath(Map<String, String> env) {
    String home = env.get("HOME");
    return defaultPath(
        env,
        home == null || home.isBlank() ? Path.of(System.getProperty("user.home")) : Path.of(home),
        SPACE_STORAGE);
  }

  static Path defaultPath(Map<String, String> env, Path home, Path spaceStorage) {
    String space = env.get("SPACE_HOST");
    if (space != null && !space.isBlank() && Files.isDirectory(spaceStorage)) {
      return spaceStorage.resolve("hf-webhooks");
    }
    String state = env.get("XDG_STATE_HOME");
    // The spec says a relative value is invalid and is to be ignored.
    if (state != null && !state.isBlank() && Path.of(state).isAbsolute()) {
      return Path.of(state, "hf-webhooks");
    }
    return home.resolve(".local").resolve("state").resolve("hf-webhooks");
  }

  /** The journal's file in {@code dir}. */
  public static Path journal(Path dir) {
    return dir.resolve(SqliteJournal.FILE_NAME);
  }

  /**
   * Creates {@code dir} when missing and writes a file to it, so that a read-only disk or a folder
   * without permission stops serve at start, rather than at its first delivery.
   */
  public static void checkWritable(Path dir) {
    IOException e = cannotWrite(dir);
    if (e != null) {
      throw new JournalException(
          "cannot write to the data dir %s (%s): serve records every delivery there; pass"
                  .formatted(dir, reason(e))
              + " --data-dir with a writable folder, or --no-journal to record nothing",
          e);
    }
  }

  /** Why a file cannot be made in {@code dir} (created when missing) now, or null when it can. */
  public static @Nullable IOException cannotWrite(Path dir) {
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".write-check", ".tmp");
      Files.delete(probe);
      return null;
    } catch (IOException e) {
      return e;
    }
  }

  /** What the system said, without the file name: "Read-only file system". */
  public static String reason(IOException e) {
    return e instanceof FileSystemException fs && fs.getReason() != null
        ? fs.getReason()
        : String.valueOf(e.getMessage());
  }

  /** The data dir held by one serve; closing lets another take it. */
  public static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private Lock(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() {
      try {
        lock.release();
        channel.close();
      } catch (IOException e) {
        // The lock goes with the process anyway.
      }
    }
  }

  /** Who holds a data dir: serve for as long as it runs, or replay for one delivery. */
  public enum Holder {
    SERVE,
    REPLAY
  }

  /**
   * Takes {@code dir} for this serve. Two servers on one journal would each take the other's
   * running deliveries for ones a crash left behind, and run them again. A {@code replay} holds it
   * for one delivery's run (at most its --timeout): serve waits for it, saying so to {@code
   * waiting}, rather than take the delivery it runs for one a crash left.
   */
  public static Lock lock(Path dir, Consumer<String> waiting) {
    boolean said = false;
    long unnamedSince = 0;
    while (true) {
      Lock lock = tryLock(dir, Holder.SERVE);
      if (lock != null) {
        return lock;
      }
      String holder;
      try {
        holder = Files.readString(dir.resolve(LOCK_FILE), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        holder = "";
      }
      String pid = holder.split(" ")[0];
      if (holder.endsWith(" replay")) {
        if (!said) {
          waiting.accept(
              "Waiting for hf-webhooks replay (pid %s) to finish with the data dir %s"
                  .formatted(pid, dir));
          said = true;
        }
        unnamedSince = 0;
      } else if (!holder.isEmpty()
          || (unnamedSince != 0 && System.nanoTime() - unnamedSince > 2e9)) {
        // Named a serve, or no one for 2 s: a holder writes its name right after it locks, but a
        // full disk may keep a serve from writing it.
        throw new JournalException(
            "another hf-webhooks serve%s uses the data dir %s: stop it, or pass another --data-dir"
                .formatted(pid.isEmpty() ? "" : " (pid " + pid + ")", dir));
      } else if (unnamedSince == 0) {
        unnamedSince = System.nanoTime();
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new JournalException("interrupted while waiting for the data dir " + dir, e);
      }
    }
  }

  /** As {@link #lock(Path, Consumer)}, saying nothing while it waits. */
  public static Lock lock(Path dir) {
    return lock(dir, line -> {});
  }

  /** Takes {@code dir} for serve as {@link #lock} does, or returns null when it is held. */
  public static @Nullable Lock tryLock(Path dir) {
    return tryLock(dir, Holder.SERVE);
  }

  /**
   * Takes {@code dir} for {@code holder}, or returns null when a serve or a replay holds it; the
   * lock file names the holder for the others' messages.
   */
  public static @Nullable Lock tryLock(Path dir, Holder holder) {
    Path file = dir.resolve(LOCK_FILE);
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held by this very process
      }
      if (lock == null) {
        channel.close();
        return null;
      }
      try {
        channel.truncate(0);
        channel.write(
            ByteBuffer.wrap(
                (ProcessHandle.current().pid() + (holder == Holder.REPLAY ? " replay\n" : "\n"))
                    .getBytes(StandardCharsets.UTF_8)));
      } catch (IOException e) {
        // The pid only names the holder in another serve's message; a full disk must not stop
        // deliveries from moving in what a stopped serve's log kept.
      }
      return new Lock(channel, lock);
    } catch (IOException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // Already failing.
        }
      }
      throw new JournalException("cannot lock the data dir " + dir + ": " + e.getMessage(), e);
    }
  }
}
