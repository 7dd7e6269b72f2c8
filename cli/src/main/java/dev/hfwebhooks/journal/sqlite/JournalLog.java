package dev.hfwebhooks.journal.sqlite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * The journal's write-ahead log: the records serve writes on a delivery's own thread, in files
 * beside the database ({@code journal.db-log-1}, {@code -2}, ...), until the database has them.
 *
 * <p>Each file is mapped into memory, so appending a record is a copy into the page cache, with no
 * system call: it survives the server's crash as a commit with {@code synchronous=NORMAL} does.
 * {@link #sync} also puts it on the disk (what {@code --async} acknowledges), and threads that sync
 * at once share one {@code fdatasync}. A file is written full of zeros when made, so that no later
 * copy into it can find the disk full, and once the database has all its records it is used again
 * as a later file rather than deleted: its pages are then already there.
 *
 * <p>Each record is framed by its length, its file's generation and a CRC-32C. A file the log moved
 * on from ends with a mark that says so (a header of length -1). Reading back stops at the first
 * record that is not whole, or that an earlier use of a recycled file left behind; a file that ends
 * without its mark ends the log there, so that a damaged or missing file never lets the records
 * after it be applied without those before them.
 */
final class JournalLog implements AutoCloseable {

  /** Where a record ends: its file's generation, the offset after it, and all bytes appended. */
  record Position(long generation, long offset, long total) {}

  /** A record read back, and where it ends. */
  @SuppressWarnings("ArrayRecordComponent") // bytes carried, never compared by equals
  record Read(byte[] record, Position end) {}

  /** A file's whole records, and whether it ends with the mark that the log moved on from it. */
  record Scan(List<Read> records, boolean movedOn) {}

  /** Bytes before each record: its length, the generation of its file, its CRC-32C. */
  static final int HEADER = 12;

  /** The generation of a spare file: never one in use, and removed at start like any old one. */
  static final long SPARE = 0;

  /** The length in the header of the mark that ends a file the log moved on from. */
  private static final int MOVED_ON = -1;

  /** One mapped file. */
  private static final class Segment {
    final long generation;
    final Path path;
    final FileChannel channel;
    final MappedByteBuffer map;
    int offset;

    /** Where the last sync of this file ended. */
    int synced;

    /** Whether the file's name is on the disk: a renamed spare's is not until a sync needs it. */
    boolean named = true;

    Segment(long generation, Path path, FileChannel channel, MappedByteBuffer map) {
      this.generation = generation;
      this.path = path;
      this.channel = channel;
      this.map = map;
    }
  }

  private final Path dir;
  private final String prefix;
  private final int fileSize;
  private final Object appendLock = new Object();
  private final Object syncLock = new Object();

  // Under appendLock.
  private Segment current;
  private final List<Segment> full = new ArrayList<>();
  private @Nullable Segment spare;
  private long total;

  /** All bytes appended up to here are on the disk (under syncLock). */
  private long synced;

  private JournalLog(Path dir, String prefix, int fileSize, long generation) throws IOException {
    this.dir = dir;
    this.prefix = prefix;
    this.fileSize = fileSize;
    this.current = create(generation, fileSize);
  }

  /** Starts a new log whose first file is {@code generation}, each file {@code fileSize} bytes. */
  static JournalLog start(Path dir, String prefix, long generation, int fileSize)
      throws IOException {
    return new JournalLog(dir, prefix, fileSize, generation);
  }

  /** The log files in {@code dir}, oldest first (a spare first of all). */
  static List<Path> files(Path dir, String prefix) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(p -> generation(p, prefix) >= 0)
          .sorted(Comparator.comparingLong(p -> generation(p, prefix)))
          .toList();
    }
  }

  /** The generation in a log file's name, or -1 when it is not one. */
  static long generation(Path file, String prefix) {
    String name = file.getFileName().toString();
    if (!name.startsWith(prefix) || name.length() == prefix.length()) {
      return -1;
    }
    try {
      return Long.parseLong(name.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Every whole record of {@code generation} in {@code file}, in order, and how it ends. */
  static Scan read(Path file, long generation) throws IOException {
    // Mapped, not read into the heap: a log file is 16 MiB (or one large record's size), but a file
    // that only bears the name must not take the heap down. Nothing past 2 GiB can be a record: a
    // file is written through one mapping, whose offsets are ints.
    ByteBuffer bytes;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      bytes =
          channel.map(
              FileChannel.MapMode.READ_ONLY, 0, Math.min(channel.size(), Integer.MAX_VALUE));
    }
    List<Read> records = new ArrayList<>();
    while (bytes.remaining() >= HEADER) {
      int length = bytes.getInt();
      int fileGeneration = bytes.getInt();
      int crc = bytes.getInt();
      if (length == MOVED_ON
          && fileGeneration == (int) generation
          && crc == movedOnCrc(generation)) {
        return new Scan(records, true);
      }
      if (length <= 0 || length > bytes.remaining() || fileGeneration != (int) generation) {
        break; // the zeros after the last record, or what a former use of the file left
      }
      byte[] record = new byte[length];
      bytes.get(record);
      if (crc32c(record, 0, length) != crc) {
        break; // cut short by a crash
      }
      records.add(new Read(record, new Position(generation, bytes.position(), 0)));
    }
    return new Scan(records, false);
  }

  /**
   * Appends a record that {@link LogRecord#encode} wrote after {@link #HEADER} reserved bytes, then
   * tells {@code appended} where it ends while still holding the lock: what it does with that
   * happens in the order of the log.
   */
  void append(byte[] frame, Consumer<Position> appended) throws IOException {
    int length = frame.length - HEADER;
    ByteBuffer header = ByteBuffer.wrap(frame);
    header.putInt(0, length).putInt(8, crc32c(frame, HEADER, length));
    synchronized (appendLock) {
      Segment segment = current;
      // Room is always left for the mark that the log moved on.
      if (segment.offset + frame.length + HEADER > segment.map.capacity()) {
        segment = next(frame.length + HEADER);
      }
      header.putInt(4, (int) segment.generation);
      segment.map.put(segment.offset, frame);
      segment.offset += frame.length;
      total += frame.length;
      appended.accept(new Position(segment.generation, segment.offset, total));
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
      long upTo;
      List<Segment> segments;
      List<Integer> ends = new ArrayList<>();
      synchronized (appendLock) {
        upTo = total;
        segments = new ArrayList<>(full);
        segments.add(current);
        segments.forEach(segment -> ends.add(segment.offset));
      }
      for (int i = 0; i < segments.size(); i++) {
        Segment segment = segments.get(i);
        int end = ends.get(i);
        if (segment.synced < end) {
          if (!segment.named) {
            forceDirectory();
            segment.named = true;
          }
          // fdatasync, which writes the pages the mapping dirtied too. Not MappedByteBuffer.force:
          // msync is a full fsync, which also commits the file system's journal for the time
          // stamps, and so waits for every other file's writes (the database's).
          segment.channel.force(false);
          segment.synced = end;
        }
      }
      synced = upTo;
    }
  }

  /** Moves on to the next file, a spare one when it is large enough (under appendLock). */
  private Segment next(int needed) throws IOException {
    long generation = current.generation + 1;
    Segment next = null;
    if (spare != null && spare.map.capacity() >= needed) {
      Segment reused = spare;
      spare = null; // whatever happens next: a spare that failed once is not tried again
      Path path = file(generation);
      try {
        Files.move(reused.path, path, StandardCopyOption.ATOMIC_MOVE);
        next = new Segment(generation, path, reused.channel, reused.map);
        // Syncing the directory here would stall every delivery behind this lock; only a record
        // that is synced needs the name on the disk, so sync() does it.
        next.named = false;
      } catch (IOException e) {
        reused.channel.close(); // and a new file is made below
      }
    }
    if (next == null) {
      next = create(generation, Math.max(fileSize, needed));
    }
    // The mark goes in once the next file is there: a crash just before it leaves that file empty.
    current.map.put(current.offset, movedOnMark(current.generation));
    current.offset += HEADER; // synced with the file's records
    full.add(current);
    current = next;
    return next;
  }

  /** Whether a full file waits for the database to have its records. */
  boolean hasFull() {
    synchronized (appendLock) {
      return !full.isEmpty();
    }
  }

  /**
   * Lets go of the full files older than {@code generation}: the database has all their records.
   * One is kept as the spare, the others deleted.
   */
  void releaseBefore(long generation) throws IOException {
    List<Segment> done = new ArrayList<>();
    synchronized (appendLock) {
      for (Segment segment : List.copyOf(full)) {
        if (segment.generation < generation) {
          full.remove(segment);
          if (spare == null && segment.map.capacity() == fileSize) {
            spare = segment; // written again as a new Segment: its offsets start over

          } else {
            done.add(segment);
          }
        }
      }
    }
    for (Segment segment : done) {
      segment.channel.close();
      Files.deleteIfExists(segment.path);
    }
  }

  /**
   * Makes a spare file when there is none, so that the next file is ready when the one in use is
   * full; called by the journal's writer, not by a delivery.
   */
  void prepareSpare() throws IOException {
    synchronized (appendLock) {
      if (spare != null) {
        return;
      }
    }
    Segment made = create(SPARE, fileSize);
    synchronized (appendLock) {
      if (spare == null) {
        spare = made;
        return;
      }
    }
    made.channel.close();
    Files.deleteIfExists(made.path);
  }

  /**
   * Closes the log; deletes its files too when {@code applied} (the database has every record), and
   * leaves them for the next start otherwise.
   */
  void close(boolean applied) throws IOException {
    synchronized (appendLock) {
      if (spare != null) {
        spare.channel.close();
        Files.deleteIfExists(spare.path);
        spare = null;
      }
      List<Segment> all = new ArrayList<>(full);
      all.add(current);
      for (Segment segment : all) {
        segment.channel.close();
        if (applied) {
          Files.deleteIfExists(segment.path);
        }
      }
      full.clear();
    }
    // The mappings go with the garbage collector: Java cannot unmap a file by hand.
  }

  @Override
  public void close() throws IOException {
    close(false);
  }

  private Path file(long generation) {
    return dir.resolve(prefix + generation);
  }

  /**
   * Makes and maps a file of {@code size} zeros. Writing them now gives the file its disk blocks: a
   * copy into a mapped page that finds the disk full would crash the JVM instead of failing.
   */
  private Segment create(long generation, int size) throws IOException {
    Path path = file(generation);
    FileChannel channel =
        FileChannel.open(
            path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
      for (long at = 0; at < size; at += zeros.capacity()) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), size - at));
        while (zeros.hasRemaining()) {
          channel.write(zeros, at + zeros.position());
        }
      }
      channel.force(true);
      MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
      forceDirectory();
      return new Segment(generation, path, channel, map);
    } catch (IOException e) {
      channel.close();
      Files.deleteIfExists(path);
      throw e;
    }
  }

  /** Puts a new or renamed file's name on the disk, or a record synced into it could be lost. */
  private void forceDirectory() throws IOException {
    try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
      directory.force(true);
    }
  }

  /** The mark that ends file {@code generation} once the log moved on from it. */
  static byte[] movedOnMark(long generation) {
    return ByteBuffer.allocate(HEADER)
        .putInt(MOVED_ON)
        .putInt((int) generation)
        .putInt(movedOnCrc(generation))
        .array();
  }

  /** The mark's check: a damaged mark must not pass for one. */
  private static int movedOnCrc(long generation) {
    return crc32c(ByteBuffer.allocate(8).putLong(generation).array(), 0, 8);
  }

  private static int crc32c(byte[] bytes, int from, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, from, length);
    return (int) crc.getValue();
  }
}
