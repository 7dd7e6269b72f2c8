package dev.hfwebhooks.journal.sqlite;

import static dev.hfwebhooks.journal.Records.arrived;
import static dev.hfwebhooks.journal.Records.failed;
import static dev.hfwebhooks.journal.Records.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The journal as serve opens it, with its write-ahead log: every test of {@link SqliteJournalTest}
 * (the contract's among them), and what happens to a log a server left behind.
 */
class LoggedSqliteJournalTest extends SqliteJournalTest {
  private static final String PREFIX = SqliteJournal.LOG_PREFIX;

  @Override
  protected SqliteJournal openForServe(Retention retention) {
    return SqliteJournal.openForServe(file(), retention);
  }

  private List<String> logFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(PREFIX)).toList();
    }
  }

  /**
   * Writes records into a log file as a server does, without any database taking them, and ends it
   * with the mark that the log moved on to the next file.
   */
  private void deadServersFullLog(long generation, LogRecord... records) throws IOException {
    long end = deadServersLog(generation, records);
    try (FileChannel file =
        FileChannel.open(dir.resolve(PREFIX + generation), StandardOpenOption.WRITE)) {
      file.write(ByteBuffer.wrap(JournalLog.movedOnMark(generation)), end);
    }
  }

  /**
   * Writes records into a log file as a server does, without any database taking them; returns
   * where the last one ends.
   */
  private long deadServersLog(long generation, LogRecord... records) throws IOException {
    long[] end = new long[1];
    try (JournalLog log = JournalLog.start(dir, PREFIX, generation, 1 << 16)) {
      for (LogRecord record : records) {
        log.append(record.encode(JournalLog.HEADER), position -> end[0] = position.offset());
      }
    }
    return end[0];
  }

  /** Copies the log files aside, as a crash at this moment would leave them. */
  private Path crashCopy() throws IOException {
    Path copy = Files.createDirectory(dir.resolve("crash-" + System.nanoTime()));
    for (String name : logFiles()) {
      Files.copy(dir.resolve(name), copy.resolve(name));
    }
    return copy;
  }

  private void restore(Path copy) throws IOException {
    for (String name : logFiles()) {
      Files.delete(dir.resolve(name));
    }
    try (Stream<Path> files = Files.list(copy)) {
      for (Path file : files.toList()) {
        Files.move(file, dir.resolve(file.getFileName()));
      }
    }
  }

  @Test
  void whatTheLogOfADeadServerHoldsReachesTheDatabaseAtTheNextStart() throws Exception {
    NewDelivery done = arrived("deploy");
    NewDelivery running = arrived("deploy");
    NewDelivery queued = arrived("notify");
    openForServe(Retention.DEFAULT).close(); // the database exists and knows no log yet
    deadServersLog(
        1,
        new LogRecord.Received(done, true),
        new LogRecord.Received(running, true),
        new LogRecord.Finished(done.id(), 1, failed(3), Status.FAILED),
        new LogRecord.Received(queued, false));

    try (SqliteJournal journal = openForServe(Retention.DEFAULT)) {
      assertThat(logFiles())
          .as("the old log is gone, a new one started")
          .containsExactly(PREFIX + 2);
      DeliveryRecord record = journal.find(done.id()).orElseThrow();
      assertThat(record.body()).isEqualTo(done.body());
      assertThat(record.headers()).isEqualTo(done.headers());
      assertThat(record.summary().status()).isEqualTo(Status.FAILED);
      assertThat(record.attempts())
          .extracting(Attempt::number, Attempt::trigger, Attempt::status, Attempt::exitStatus)
          .containsExactly(tuple(1, Trigger.RECEIVED, Status.FAILED, 3));
      assertThat(journal.recover())
          .extracting(DeliverySummary::id)
          .containsExactly(running.id(), queued.id());
    }
  }

  @Test
  void aWorkersAttemptsInTheLogReachTheDatabaseWhetherTheirRecordsFoldTogetherOrNot()
      throws Exception {
    NewDelivery retried = arrived("deploy");
    NewDelivery running = arrived("deploy");
    Instant first = Instant.ofEpochMilli(1_000);
    Instant second = Instant.ofEpochMilli(2_000);
    openForServe(Retention.DEFAULT).close();
    // One file is applied in one go: there, a delivery queued, started and ended is one insert.
    deadServersFullLog(
        1,
        new LogRecord.Received(retried, false),
        new LogRecord.Received(running, false),
        new LogRecord.Started(retried.id(), 1, Trigger.RECEIVED, first),
        new LogRecord.Started(running.id(), 1, Trigger.RECEIVED, first),
        new LogRecord.Finished(retried.id(), 1, failed(3), Status.QUEUED));
    // And the retry in the next: a start and its end are one update.
    deadServersLog(
        2,
        new LogRecord.Started(retried.id(), 2, Trigger.RETRY, second),
        new LogRecord.Finished(retried.id(), 2, succeeded(), Status.SUCCEEDED));

    try (SqliteJournal journal = openForServe(Retention.DEFAULT)) {
      DeliveryRecord record = journal.find(retried.id()).orElseThrow();
      assertThat(record.summary().status()).isEqualTo(Status.SUCCEEDED);
      assertThat(record.attempts())
          .extracting(Attempt::number, Attempt::trigger, Attempt::started, Attempt::status)
          .containsExactly(
              tuple(1, Trigger.RECEIVED, first, Status.FAILED),
              tuple(2, Trigger.RETRY, second, Status.SUCCEEDED));
      assertThat(journal.recover()).extracting(DeliverySummary::id).containsExactly(running.id());
      assertThat(journal.find(running.id()).orElseThrow().attempts())
          .extracting(Attempt::number, Attempt::status, Attempt::error)
          .containsExactly(
              tuple(1, Status.FAILED, "interrupted: the server stopped during this attempt"));
    }
  }

  @Test
  void anAttemptNumberAnotherProcessTookMeanwhileGoesToTheNextOneEvenAcrossACrash()
      throws Exception {
    NewDelivery delivery = arrived("deploy");
    Instant started = Instant.ofEpochMilli(1_000);
    try (SqliteJournal replay = SqliteJournal.open(file(), Retention.DEFAULT)) {
      replay.enqueue(delivery);
      // replay ran it as attempt 1 while serve's worker, which had read it queued, ran it too
      replay.finish(
          delivery.id(),
          replay.start(delivery.id(), Trigger.REPLAY),
          succeeded(),
          Status.SUCCEEDED);
    }
    // The worker's start reaches the database, then the server dies; its end, logged just before,
    // is applied by the next server, which knows nothing of the first one's numbering.
    deadServersLog(1, new LogRecord.Started(delivery.id(), 1, Trigger.RECEIVED, started));
    openForServe(Retention.DEFAULT).close(); // the database now expects log 2
    deadServersLog(2, new LogRecord.Finished(delivery.id(), 1, failed(3), Status.FAILED, started));

    try (SqliteJournal journal = openForServe(Retention.DEFAULT)) {
      DeliveryRecord record = journal.find(delivery.id()).orElseThrow();
      assertThat(record.attempts())
          .extracting(Attempt::number, Attempt::trigger, Attempt::status)
          .containsExactly(
              tuple(1, Trigger.REPLAY, Status.SUCCEEDED),
              tuple(2, Trigger.RECEIVED, Status.FAILED));
      assertThat(record.summary().status()).isEqualTo(Status.FAILED);
    }
  }

  @Test
  void aRecordACrashCutShortIsLeftOutAndTheOnesBeforeItAreKept() throws Exception {
    NewDelivery whole = arrived("deploy");
    NewDelivery cut = arrived("deploy");
    long end = deadServersLog(1, new LogRecord.Received(whole, false));
    byte[] frame = new LogRecord.Received(cut, false).encode(JournalLog.HEADER);
    CRC32C crc = new CRC32C();
    crc.update(frame, JournalLog.HEADER, frame.length - JournalLog.HEADER);
    ByteBuffer.wrap(frame)
        .putInt(0, frame.length - JournalLog.HEADER)
        .putInt(4, 1)
        .putInt(8, (int) crc.getValue());
    try (FileChannel file = FileChannel.open(dir.resolve(PREFIX + 1), StandardOpenOption.WRITE)) {
      // Its header and half of it: the rest never reached the file.
      file.write(ByteBuffer.wrap(frame, 0, frame.length / 2), end);
    }

    try (SqliteJournal journal = openForServe(Retention.DEFAULT)) {
      assertThat(journal.find(whole.id())).isPresent();
      assertThat(journal.find(cut.id())).isEmpty();
    }
  }

  @Test
  void aLogTheDatabaseAlreadyHasIsNotAppliedTwice() throws Exception {
    NewDelivery delivery = arrived("deploy");
    NewDelivery running = arrived("train"); // --async: queued, then a worker's start
    Path crash;
    try (SqliteJournal journal = openForServe(Retention.DEFAULT)) {
      journal.finish(delivery.id(), journal.acceptRunning(delivery), succeeded(), Status.SUCCEEDED);
      journal.enqueue(running);
      journal.startAndRead(running.id(), Trigger.RECEIVED);
      // The database has them now, most likely in one batch, where the last records (a start, an
      // end) fold into the inserts before them.
      assertThat(journal.find(delivery.id())).isPresent();
      crash = crashCopy();
    }
    assertThat(logFiles()).as("a clean stop deletes the log").isEmpty();
    restore(crash);

    try (SqliteJournal journal = openForServe(Retention.DEFAULT)) {
      assertThat(journal.list(Query.newest(10)))
          .extracting(DeliverySummary::id, DeliverySummary::status, DeliverySummary::attempts)
          .containsExactly(
              tuple(running.id(), Status.RUNNING, 1), tuple(delivery.id(), Status.SUCCEEDED, 1));
    }
  }

  @Test
  void recycledLogFilesAreReadOnlyAsFarAsTheirOwnRecordsAfterACrash() throws Exception {
    List<String> ids = new ArrayList<>();
    Path crash;
    try (SqliteJournal journal =
        SqliteJournal.openForServe(file(), Retention.DEFAULT, 16_384, line -> {})) {
      for (int i = 0; i < 200; i++) {
        NewDelivery d = arrived(i % 2 == 0 ? "deploy" : "notify");
        ids.add(d.id());
        journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
        if (i % 10 == 0) {
          journal.find(d.id()); // a commit, after which a full file can be used again
        }
      }
      crash = crashCopy(); // the last few deliveries are only in the log
    }
    restore(crash);

    try (SqliteJournal journal = openForServe(Retention.DEFAULT)) {
      assertThat(journal.list(new Query(null, null, 1000)))
          .extracting(DeliverySummary::id)
          .containsExactlyInAnyOrderElementsOf(ids);
      assertThat(journal.list(new Query(null, Status.SUCCEEDED, 1000))).hasSize(200);
    }
  }

  @Test
  void aSpareFileDeletedFromUnderTheLogIsReplacedByANewOne() throws Exception {
    List<String> ids = new ArrayList<>();
    try (SqliteJournal journal =
        SqliteJournal.openForServe(file(), Retention.DEFAULT, 16_384, line -> {})) {
      for (int i = 0; i < 120; i++) {
        if (i == 60) {
          // Everything but the file in use (the newest): the spare goes too.
          List<String> files = logFiles();
          String newest =
              files.stream()
                  .max(Comparator.comparingLong(n -> Long.parseLong(n.substring(PREFIX.length()))))
                  .orElseThrow();
          for (String name : files) {
            if (!name.equals(newest)) {
              Files.delete(dir.resolve(name));
            }
          }
        }
        NewDelivery d = arrived("deploy");
        ids.add(d.id());
        journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
        if (i % 10 == 0) {
          journal.find(d.id());
        }
      }

      assertThat(journal.list(new Query(null, Status.SUCCEEDED, 1000)))
          .extracting(DeliverySummary::id)
          .containsExactlyInAnyOrderElementsOf(ids);
    }
  }

  @Test
  void theLogMovesOnToNewFilesAndDeletesTheOnesTheDatabaseHas() throws Exception {
    List<String> ids = new ArrayList<>();
    try (SqliteJournal journal =
        SqliteJournal.openForServe(file(), Retention.DEFAULT, 16_384, line -> {})) {
      for (int i = 0; i < 300; i++) {
        NewDelivery d = arrived("deploy");
        ids.add(d.id());
        journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
        if (i % 20 == 0) {
          journal.find(d.id()); // a commit, after which a full file can go
        }
      }
      journal.find(ids.getLast());

      // The writer lets go of a file just after the commit a reader waits for: give it a moment.
      Instant deadline = Instant.now().plusSeconds(5);
      while (logFiles().size() >= 3 && Instant.now().isBefore(deadline)) {
        Thread.sleep(10);
      }
      assertThat(logFiles())
          .as("old files are deleted as the database takes them")
          .hasSizeLessThan(3);
      assertThat(journal.list(new Query(null, Status.SUCCEEDED, 1000)))
          .extracting(DeliverySummary::id)
          .containsExactlyInAnyOrderElementsOf(ids);
    }
    assertThat(logFiles()).isEmpty();
  }
}
