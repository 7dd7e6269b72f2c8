package dev.hfwebhooks.journal.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import dev.hfwebhooks.testing.Gen;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.zip.CRC32C;

/**
 * A data dir as serve leaves it when it dies: the database as its last commit left it, and the log
 * files with what the database did not have yet; with every write serve made, in order, as the
 * model a journal opened on it (or on a damaged copy of it) is checked against.
 *
 * <p>Made by a journal opened for serve, whose writer is then held inside a transaction of its own
 * while more deliveries come in: they reach the log but not the database, and the log moves on
 * through several files (small ones, here) that none is let go of. The database is copied by
 * SQLite's backup (what its last commit left, as a crash leaves it), the log files as they are.
 */
final class CrashImage {
  static final String PREFIX = SqliteJournal.LOG_PREFIX;

  /** Small log files, so that an image spans several, some of them used files reused. */
  static final int LOG_FILE_SIZE = 4096;

  /** A write the test made through the journal, in the order it made them. */
  sealed interface Event {
    String id();
  }

  record Received(NewDelivery delivery, boolean running) implements Event {
    @Override
    public String id() {
      return delivery.id();
    }
  }

  record Started(String id, int number, Trigger trigger) implements Event {}

  record Finished(String id, int number, Status status, Status next) implements Event {}

  /** A log record in a file: where it starts and ends, and which event it holds. */
  record Item(long generation, long start, long end, int event) {}

  /**
   * A delivery as it should be, in values that compare: its arrival (the body by its CRC), status,
   * and attempts (number, trigger, status).
   */
  record Expected(
      String id,
      Instant received,
      String handler,
      String body,
      Map<String, String> headers,
      Status status,
      List<List<Object>> attempts) {
    Expected(NewDelivery d, Status status, List<List<Object>> attempts) {
      this(
          d.id(),
          d.received(),
          d.handler(),
          d.body().length + " bytes, CRC-32C " + Long.toHexString(crc(d.body())),
          d.headers(),
          status,
          attempts);
    }
  }

  final Path dir;
  final List<Event> events;

  /** The log files' records, oldest first. */
  final List<Item> items;

  /** The log files by generation (no spare among them), oldest first. */
  final List<Long> generations;

  /** Per file the log moved on from, where the mark that says so is. */
  final Map<Long, Long> marks;

  /** How many events the database has: those before the log's first unapplied record. */
  final int applied;

  /** The log file the database has records of last: the files before it are not read again. */
  final long appliedGeneration;

  private CrashImage(
      Path dir,
      List<Event> events,
      List<Item> items,
      List<Long> generations,
      Map<Long, Long> marks,
      int applied,
      long appliedGeneration) {
    this.dir = dir;
    this.events = events;
    this.items = items;
    this.generations = generations;
    this.marks = marks;
    this.applied = applied;
    this.appliedGeneration = appliedGeneration;
  }

  /** Runs a serve journal in {@code work}, lets it die, and keeps its files in {@code image}. */
  static CrashImage make(Random r, Path work, Path image) throws Exception {
    Path live = Files.createDirectories(work);
    Files.createDirectories(image);
    List<Event> events = new ArrayList<>();
    Path file = live.resolve(SqliteJournal.FILE_NAME);
    SqliteJournal journal =
        SqliteJournal.openForServe(file, Retention.DEFAULT, LOG_FILE_SIZE, line -> {});
    try {
      for (int i = r.nextInt(25); i > 0; i--) {
        deliver(journal, r, events, true);
      }
      var writerField = SqliteJournal.class.getDeclaredField("writer");
      writerField.setAccessible(true);
      Writer writer = (Writer) writerField.get(journal);
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch go = new CountDownLatch(1);
      Thread blocker =
          Thread.ofPlatform()
              .start(
                  () ->
                      writer.write(
                          false,
                          false,
                          sql -> {
                            held.countDown();
                            try {
                              go.await();
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                            return null;
                          }));
      held.await();
      // No retry here: its start would wait for the database to have the attempt before.
      for (int i = 5 + r.nextInt(40); i > 0; i--) {
        deliver(journal, r, events, false);
      }
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
          Statement s = c.createStatement()) {
        s.executeUpdate("backup to " + image.resolve(SqliteJournal.FILE_NAME));
      }
      for (Path log : JournalLog.files(live, PREFIX)) {
        Files.copy(log, image.resolve(log.getFileName()));
      }
      go.countDown();
      blocker.join();
    } finally {
      journal.close();
    }
    return read(image, events);
  }

  /** Finds the log's records in {@code image}, checked against {@code events}. */
  private static CrashImage read(Path image, List<Event> events) throws Exception {
    List<Item> items = new ArrayList<>();
    List<Long> generations = new ArrayList<>();
    List<LogRecord> records = new ArrayList<>();
    Map<Long, Long> marks = new LinkedHashMap<>();
    for (Path log : JournalLog.files(image, PREFIX)) {
      long generation = JournalLog.generation(log, PREFIX);
      if (generation == 0) {
        continue; // the spare
      }
      generations.add(generation);
      JournalLog.Scan scan = JournalLog.read(log, generation);
      long end = 0;
      for (JournalLog.Read read : scan.records()) {
        end = read.end().offset();
        items.add(new Item(generation, end - read.record().length - JournalLog.HEADER, end, 0));
        records.add(LogRecord.decode(read.record()));
      }
      if (scan.movedOn()) {
        marks.put(generation, end);
      }
    }
    // The log holds the last of the events: the files before are gone, their records applied.
    int first = events.size() - records.size();
    for (int i = 0; i < records.size(); i++) {
      assertThat(records.get(i).deliveryId()).isEqualTo(events.get(first + i).id());
      Item item = items.get(i);
      items.set(i, new Item(item.generation(), item.start(), item.end(), first + i));
    }
    long generation;
    long offset;
    try (Connection c =
            DriverManager.getConnection("jdbc:sqlite:" + image.resolve(SqliteJournal.FILE_NAME));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT log_generation, log_offset FROM log_applied")) {
      rs.next();
      generation = rs.getLong(1);
      offset = rs.getLong(2);
    }
    int applied = first;
    for (Item item : items) {
      if (item.generation() < generation
          || (item.generation() == generation && item.end() <= offset)) {
        applied = item.event() + 1;
      }
    }
    return new CrashImage(
        image, List.copyOf(events), items, generations, marks, applied, generation);
  }

  /** One delivery's writes as serve makes them; with retries only while the writer runs. */
  private static void deliver(
      SqliteJournal journal, Random r, List<Event> events, boolean retries) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = r.nextInt(4); i > 0; i--) {
      headers.put("x-" + Gen.from(r, "abcdefghij-", 8), Gen.from(r, "abc XYZ 0123:/=,;\"", 40));
    }
    NewDelivery d =
        new NewDelivery(
            UUID.randomUUID().toString(),
            Instant.now().truncatedTo(ChronoUnit.MILLIS),
            Gen.oneOf(r, "deploy", "notify", "sub/train"),
            Gen.bytes(r, r.nextInt(8) == 0 ? 3000 : 300),
            headers);
    int number;
    if (r.nextBoolean()) {
      number = journal.acceptRunning(d);
      events.add(new Received(d, true));
    } else {
      journal.enqueue(d);
      events.add(new Received(d, false));
      if (r.nextInt(4) == 0) {
        return; // still queued
      }
      number = journal.startAndRead(d.id(), Trigger.RECEIVED).number();
      events.add(new Started(d.id(), number, Trigger.RECEIVED));
    }
    while (r.nextInt(5) != 0) { // else still running
      AttemptResult result =
          Gen.oneOf(
              r,
              new AttemptResult(Status.SUCCEEDED, 0, r.nextInt(1000), null, "ok", null),
              new AttemptResult(Status.FAILED, 1 + r.nextInt(9), 3, "exited", null, "oops"),
              new AttemptResult(Status.TIMED_OUT, null, 30_000, "timed out", null, null));
      Status next =
          result.status() == Status.SUCCEEDED
              ? Status.SUCCEEDED
              : retries && r.nextBoolean() ? Status.QUEUED : result.status();
      journal.finish(d.id(), number, result, next);
      events.add(new Finished(d.id(), number, result.status(), next));
      if (next != Status.QUEUED || r.nextInt(3) == 0) {
        return; // ended, or queued for a retry
      }
      number = journal.startAndRead(d.id(), Trigger.RETRY).number();
      events.add(new Started(d.id(), number, Trigger.RETRY));
    }
  }

  /** Each delivery as the first {@code count} events leave it, in order of arrival. */
  Map<String, Expected> expected(int count) {
    Map<String, Expected> state = new LinkedHashMap<>();
    for (Event event : events.subList(0, count)) {
      if (event instanceof Received received) {
        NewDelivery d = received.delivery();
        state.put(
            d.id(),
            received.running()
                ? new Expected(
                    d, Status.RUNNING, List.of(List.of(1, Trigger.RECEIVED, Status.RUNNING)))
                : new Expected(d, Status.QUEUED, List.of()));
      } else if (event instanceof Started started) {
        Expected e = state.get(started.id());
        List<List<Object>> attempts = new ArrayList<>(e.attempts());
        attempts.add(List.of(started.number(), started.trigger(), Status.RUNNING));
        state.put(started.id(), with(e, Status.RUNNING, attempts));
      } else if (event instanceof Finished finished) {
        Expected e = state.get(finished.id());
        List<List<Object>> attempts = new ArrayList<>(e.attempts());
        int number = finished.number();
        attempts.set(
            number - 1, List.of(number, attempts.get(number - 1).get(1), finished.status()));
        state.put(finished.id(), with(e, finished.next(), attempts));
      }
    }
    return state;
  }

  private static long crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return crc.getValue();
  }

  private static Expected with(Expected e, Status status, List<List<Object>> attempts) {
    return new Expected(
        e.id(), e.received(), e.handler(), e.body(), e.headers(), status, List.copyOf(attempts));
  }

  /** A delivery as the journal has it, in the form of {@link Expected}. */
  static Expected actual(DeliveryRecord record) {
    List<List<Object>> attempts = new ArrayList<>();
    for (Attempt a : record.attempts()) {
      attempts.add(List.of(a.number(), a.trigger(), a.status()));
    }
    var s = record.summary();
    return new Expected(
        new NewDelivery(s.id(), s.received(), s.handler(), record.body(), record.headers()),
        s.status(),
        attempts);
  }
}
