package dev.hfwebhooks.journal.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.sqlite.CrashImage.Expected;
import dev.hfwebhooks.journal.sqlite.CrashImage.Item;
import dev.hfwebhooks.testing.Gen;
import dev.hfwebhooks.testing.Generated;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's recovery against damage: data dirs a crashed serve left ({@link CrashImage}),
 * damaged in copies (the log truncated at every record boundary and at random offsets, bits
 * flipped, a tail zeroed, a file gone or replaced, the database replaced or cut short), then opened
 * as serve's next start opens them. Either the journal opens with every write before the damage
 * exactly as it was made and nothing after it, or it refuses with one line that says what is wrong
 * and what to do; never another exception, never a hang.
 */
class JournalDamagePropertiesTest {
  /** Only a guard against a hang: an open takes milliseconds. */
  private static final Duration HANG = Duration.ofSeconds(30);

  @TempDir static Path dir;

  private static final List<CrashImage> IMAGES = new ArrayList<>();

  @BeforeAll
  static void crash() throws Exception {
    // From the run's seed, so that -Dgenerated.seed replays the same images.
    Random r = new Random(Generated.SEED);
    for (int i = 0; i < 3; i++) {
      IMAGES.add(CrashImage.make(r, dir.resolve("live-" + i), dir.resolve("image-" + i)));
    }
  }

  enum Kind {
    NONE,
    TRUNCATE_LOG,
    FLIP_LOG,
    ZERO_LOG_TAIL,
    DELETE_LOG,
    GARBAGE_LOG,
    FORGE_LOG,
    NOT_A_DB,
    TRUNCATE_DB,
    FLIP_DB
  }

  /**
   * One damage to a copy of image {@code image}: in its log file {@code file} (an index), or db.
   */
  record Damage(int image, Kind kind, int file, long offset, int bit) {}

  @Test
  void anUndamagedCrashImageOpensWithEveryWrite() throws Exception {
    for (int i = 0; i < IMAGES.size(); i++) {
      check(new Damage(i, Kind.NONE, 0, 0, 0));
    }
  }

  @Test
  void theLogCutAtEveryRecordBoundaryKeepsEveryRecordBeforeTheCut() throws Exception {
    CrashImage image = IMAGES.getFirst();
    for (Item item : image.items) {
      int file = image.generations.indexOf(item.generation());
      check(new Damage(0, Kind.TRUNCATE_LOG, file, item.start(), 0));
      check(new Damage(0, Kind.ZERO_LOG_TAIL, file, item.end(), 0));
    }
  }

  @Test
  void anyDamageKeepsWhatCameBeforeItOrIsRefusedInOneLine() {
    Generated.forAll(JournalDamagePropertiesTest::damage, JournalDamagePropertiesTest::check);
  }

  private static Damage damage(Random r) {
    int index = r.nextInt(IMAGES.size());
    CrashImage image = IMAGES.get(index);
    Kind kind = Gen.oneOf(r, Kind.values());
    int file = r.nextInt(image.generations.size());
    long records = 0; // where the file's records end: most damage lands among them
    for (Item item : image.items) {
      if (item.generation() == image.generations.get(file)) {
        records = item.end();
      }
    }
    long size = kind.name().endsWith("_DB") ? 40_000 : CrashImage.LOG_FILE_SIZE;
    long offset =
        r.nextInt(4) == 0 ? r.nextLong(size + 1) : r.nextLong(Math.min(size, records + 16) + 1);
    return new Damage(index, kind, file, offset, r.nextInt(8));
  }

  private static void check(Damage damage) throws Exception {
    CrashImage image = IMAGES.get(damage.image());
    Path copy = Files.createTempDirectory(dir, "damaged-");
    try (Stream<Path> files = Files.list(image.dir)) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    Path db = copy.resolve(SqliteJournal.FILE_NAME);
    Path log = copy.resolve(CrashImage.PREFIX + image.generations.get(damage.file()));
    int kept = image.events.size(); // the events a journal opened on the copy must hold
    Random r = new Random(damage.hashCode());
    switch (damage.kind()) {
      case NONE -> {}
      case TRUNCATE_LOG -> truncate(log, damage.offset());
      case FLIP_LOG -> flip(log, damage.offset(), damage.bit());
      case ZERO_LOG_TAIL -> zero(log, damage.offset());
      case DELETE_LOG -> Files.delete(log);
      case GARBAGE_LOG -> Files.write(log, Gen.bytes(r, CrashImage.LOG_FILE_SIZE));
      case FORGE_LOG -> kept = forge(image, damage, log);
      case NOT_A_DB -> notADatabase(db, r);
      case TRUNCATE_DB -> truncate(db, damage.offset());
      case FLIP_DB -> {
        for (int i = 0; i < 1 + damage.bit(); i++) {
          flip(db, r.nextLong(Math.max(1, Files.size(db))), r.nextInt(8));
        }
      }
    }
    switch (damage.kind()) {
      case TRUNCATE_LOG, ZERO_LOG_TAIL -> kept = firstDamaged(image, damage, damage.offset(), -1);
      case FLIP_LOG -> kept = firstDamaged(image, damage, damage.offset(), damage.offset() + 1);
      case DELETE_LOG, GARBAGE_LOG -> kept = firstDamaged(image, damage, 0, -1);
      default -> {}
    }
    int before = Math.max(image.applied, kept);
    Map<String, Expected> expected = image.expected(before);
    assertTimeoutPreemptively(HANG, () -> opened(damage, db, image, before, expected));
  }

  /**
   * The events before the first record the damage reaches, from {@code from} to {@code to} (-1: the
   * end) in the damaged file: the records after it are lost with it, and so are the next files'
   * when it reaches the mark that the log moved on.
   */
  private static int firstDamaged(CrashImage image, Damage damage, long from, long to) {
    long generation = image.generations.get(damage.file());
    if (generation < image.appliedGeneration) {
      return image.events.size(); // a file the database has all of: not read again
    }
    int nextFile = image.events.size();
    for (Item item : image.items) {
      if (item.generation() == generation && item.end() > from && (to < 0 || item.start() < to)) {
        return item.event();
      }
      if (item.generation() > generation) {
        nextFile = item.event();
        break;
      }
    }
    Long mark = image.marks.get(generation);
    boolean markReached = mark != null && mark + JournalLog.HEADER > from && (to < 0 || mark < to);
    return markReached ? nextFile : image.events.size();
  }

  private static void opened(
      Damage damage, Path db, CrashImage image, int before, Map<String, Expected> expected) {
    SqliteJournal journal;
    try {
      journal =
          SqliteJournal.openForServe(db, Retention.DEFAULT, CrashImage.LOG_FILE_SIZE, line -> {});
    } catch (JournalException e) {
      assertThat(damage.kind())
          .as("refused: %s", e.getMessage())
          .isIn(Kind.NOT_A_DB, Kind.TRUNCATE_DB, Kind.FLIP_DB);
      assertOneLine(e);
      return;
    }
    try (journal) {
      if (damage.kind() == Kind.NOT_A_DB) {
        throw new AssertionError("a file that is not a journal was opened as one");
      }
      if (damage.kind() == Kind.TRUNCATE_DB || damage.kind() == Kind.FLIP_DB) {
        // SQLite keeps no checksum: a flipped bit in a value goes unseen, or is found when read.
        // Damage to the file's structure stops serve at start: a journal cut short that opens
        // reads, and makes nothing up.
        try {
          for (DeliverySummary s : journal.list(new Query(null, null, 10_000))) {
            if (damage.kind() == Kind.TRUNCATE_DB) {
              assertThat(image.expected(image.events.size())).as("made up").containsKey(s.id());
            }
            journal.find(s.id());
          }
        } catch (JournalException e) {
          assertThat(damage.kind())
              .as("found on reading: %s", e.getMessage())
              .isEqualTo(Kind.FLIP_DB);
          assertOneLine(e);
        }
        return;
      }
      Map<String, Expected> actual = new LinkedHashMap<>();
      for (DeliverySummary s : journal.list(new Query(null, null, 10_000)).reversed()) {
        DeliveryRecord record = journal.find(s.id()).orElseThrow();
        actual.put(s.id(), CrashImage.actual(record));
      }
      if (damage.kind() == Kind.FORGE_LOG) {
        // A record whose checksum holds is taken as written: only the deliveries it and those
        // after it do not touch are certain.
        for (CrashImage.Event event : image.events.subList(before, image.events.size())) {
          expected.remove(event.id());
          actual.remove(event.id());
        }
        actual.keySet().retainAll(expected.keySet());
      }
      List<String> wrong = new ArrayList<>();
      for (String id : expected.keySet()) {
        if (!expected.get(id).equals(actual.get(id))) {
          wrong.add("%s: expected %s, found %s".formatted(id, expected.get(id), actual.get(id)));
        }
      }
      for (String id : actual.keySet()) {
        if (!expected.containsKey(id)) {
          wrong.add("%s: not expected, found %s".formatted(id, actual.get(id)));
        }
      }
      assertThat(wrong)
          .as("deliveries unlike the %d writes before the damage", expected.size())
          .isEmpty();
    }
  }

  private static void assertOneLine(JournalException e) {
    assertThat(e.getMessage())
        .as("one line that says what to do")
        .doesNotContain("\n")
        .containsAnyOf("move it", "--data-dir");
  }

  private static void truncate(Path file, long size) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(Math.min(size, f.length()));
    }
  }

  private static void flip(Path file, long at, int bit) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      if (at < f.length()) {
        f.seek(at);
        int b = f.read();
        f.seek(at);
        f.write(b ^ (1 << bit));
      }
    }
  }

  private static void zero(Path file, long from) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      if (from < f.length()) {
        f.seek(from);
        f.write(new byte[(int) (f.length() - from)]);
      }
    }
  }

  /**
   * Flips a bit inside one record and writes its checksum again: a frame that checks out. Returns
   * the events before it.
   */
  private static int forge(CrashImage image, Damage damage, Path log) throws IOException {
    long generation = image.generations.get(damage.file());
    List<Item> inFile =
        image.items.stream().filter(item -> item.generation() == generation).toList();
    if (inFile.isEmpty() || generation < image.appliedGeneration) {
      return image.events.size();
    }
    Item item = inFile.get((int) (damage.offset() % inFile.size()));
    byte[] bytes = Files.readAllBytes(log);
    int body = (int) item.start() + JournalLog.HEADER;
    int length = (int) (item.end() - body);
    bytes[body + (int) (damage.offset() % length)] ^= (byte) (1 << damage.bit());
    CRC32C crc = new CRC32C();
    crc.update(bytes, body, length);
    ByteBuffer.wrap(bytes).putInt(body - 4, (int) crc.getValue());
    Files.write(log, bytes);
    return item.event();
  }

  private static void notADatabase(Path db, Random r) throws Exception {
    Files.delete(db);
    switch (r.nextInt(3)) {
      case 0 -> Files.write(db, Gen.bytes(r, 20_000));
      case 1 -> Files.write(db, (Gen.text(r, 5000) + "x").getBytes(StandardCharsets.UTF_8));
      default -> {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
            Statement s = c.createStatement()) {
          s.execute("CREATE TABLE notes (text TEXT)");
        }
      }
    }
  }
}
