package dev.hfwebhooks.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The journal's write-ahead log: the records serve writes on a delivery's own thread, in plain
 * files beside the database ({@code journal.db-log-1}, {@code -2}, ...), until the database has
 * them. Appending a record is one {@code write} into the page cache, so it survives the server's
 * crash as a commit with {@code synchronous=NORMAL} does; {@link #sync} also puts it on the disk
 * (what {@code --async} acknowledges), and threads that sync at once share one {@code fdatasync}.
 *
 * <p>Each record is framed by its length and a CRC-32C, so that reading back stops at a record that
 * a crash cut short. The file in use is replaced by the next one once it passes a size, and a full
 * one is deleted once the database has everything in it ({@link #deleteBefore}).
 */
final class JournalLog implements AutoCloseable {

  /** Where a record ends: its file's generation, the offset after it, and all bytes appended. */
  record Position(long generation, long offset, long total) {}

  /** A record read back, and where it ends. */
  record Read(byte[] record, Position end) {}

  /** A file replaced by the next one, kept until the database has its records. */
  private record Full(long generation, FileChannel channel) {}

  /** Bytes before each record: its length and its CRC-32C. */
  static final int HEADER = 8;

  private final Path dir;
  private final String prefix;
  private final Object appendLock = new Object();
  private final Object syncLock = new Object();
  private final List<Full> full = new ArrayList<>();

  // Written under appendLock; volatile for sync(), which reads them without it.
  private volatile FileChannel channel;
  private volatile long total;
  private long generation;
  private long offset;

  /** All bytes appended up to here are on the disk (under syncLock). */
  private long synced;

  private JournalLog(Path dir, String prefix, long generation) throws IOException {
    this.dir = dir;
    this.prefix = prefix;
    this.generation = generation;
    this.channel = create(generation);
  }

  /** Starts a new log whose first file is {@code generation}. */
  static JournalLog start(Path dir, String prefix, long generation) throws IOException {
    return new JournalLog(dir, prefix, generation);
  }

  /** The log files in {@code dir}, oldest first. */
  static List<Path> files(Path dir, String prefix) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(p -> generation(p, prefix) > 0)
          .sorted(Comparator.comparingLong(p -> generation(p, prefix)))
          .toList();
    }
  }

  /** The generation in a log file's name, or 0 when it is not one. */
  static long generation(Path file, String prefix) {
    String name = file.getFileName().toString();
    if (!name.startsWith(prefix) || name.length() == prefix.length()) {
      return 0;
    }
    try {
      return Long.parseLong(name.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Every whole record in {@code file}, up to the first that a crash cut short. */
  static List<Read> read(Path file, long generation) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
    List<Read> records = new ArrayList<>();
    while (bytes.remaining() >= HEADER) {
      int length = bytes.getInt();
      int crc = bytes.getInt();
      if (length <= 0 || length > bytes.remaining()) {
        break;
      }
      byte[] record = new byte[length];
      bytes.get(record);
      if (crc32c(record, 0, length) != crc) {
        break;
      }
      records.add(new Read(record, new Position(generation, bytes.position(), 0)));
    }
    return records;
  }

  /**
   * Appends a record that {@link LogRecord#encode} wrote after {@link #HEADER} reserved bytes, then
   * tells {@code appended} where it ends while still holding the lock: what it does with that
   * happens in the order of the file.
   */
  void append(byte[] frame, Consumer<Position> appended) throws IOException {
    int length = frame.length - HEADER;
    ByteBuffer buffer = ByteBuffer.wrap(frame);
    buffer.putInt(0, length).putInt(4, crc32c(frame, HEADER, length));
    synchronized (appendLock) {
      try {
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      } catch (IOException e) {
        // Half a record would hide every record after it from the reader: take it back.
        try {
          channel.truncate(offset);
        } catch (IOException ignored) {
          // The reader stops at the broken record; what follows is lost only if this failed too.
        }
        throw e;
      }
      offset += frame.length;
      total += frame.length;
      appended.accept(new Position(generation, offset, total));
    }
  }

  /**
   * Puts everything appended up to {@code position} on the disk. Threads that arrive while one
   * syncs wait for it, then find their record synced by the next one, which covers them all.
   */
  void sync(Position position) throws IOException {
    synchronized (syncLock) {
      if (synced >= position.total()) {
        return;
      }
      // Read in this order: a record appended before `upTo` is either in `current` or in a full
      // file, which rotate() synced before replacing it.
      long upTo = total;
      FileChannel current = channel;
      try {
        current.force(false);
      } catch (ClosedChannelException e) {
        // Replaced and closed meanwhile: rotate() synced it first.
      }
      synced = upTo;
    }
  }

  /** How many bytes the file in use holds. */
  long size() {
    synchronized (appendLock) {
      return offset;
    }
  }

  /** Whether a full file waits for the database to have its records. */
  boolean hasFull() {
    synchronized (appendLock) {
      return !full.isEmpty();
    }
  }

  /** Starts the next file; later records go there. */
  void rotate() throws IOException {
    synchronized (appendLock) {
      channel.force(false);
      FileChannel next = create(generation + 1);
      full.add(new Full(generation, channel));
      generation++;
      offset = 0;
      channel = next;
    }
  }

  /** Deletes the full files older than {@code generation}: the database has all their records. */
  void deleteBefore(long generation) throws IOException {
    List<Full> done;
    synchronized (appendLock) {
      done = full.stream().filter(f -> f.generation() < generation).toList();
      full.removeAll(done);
    }
    for (Full f : done) {
      f.channel().close();
      Files.deleteIfExists(file(f.generation()));
    }
  }

  /**
   * Closes the files; deletes them too when {@code applied} (the database has every record), and
   * leaves them for the next start otherwise.
   */
  void close(boolean applied) throws IOException {
    synchronized (appendLock) {
      for (Full f : full) {
        f.channel().close();
        if (applied) {
          Files.deleteIfExists(file(f.generation()));
        }
      }
      full.clear();
      channel.close();
      if (applied) {
        Files.deleteIfExists(file(generation));
      }
    }
  }

  @Override
  public void close() throws IOException {
    close(false);
  }

  private Path file(long generation) {
    return dir.resolve(prefix + generation);
  }

  private FileChannel create(long generation) throws IOException {
    FileChannel created =
        FileChannel.open(file(generation), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    // The new name must be on the disk too, or a record synced into the file could be lost with
    // it after a power loss.
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true);
    } catch (IOException e) {
      created.close();
      throw e;
    }
    return created;
  }

  private static int crc32c(byte[] bytes, int from, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, from, length);
    return (int) crc.getValue();
  }
}
