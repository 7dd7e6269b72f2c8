package dev.hfwebhooks.journal;

import static dev.hfwebhooks.journal.Records.arrived;
import static dev.hfwebhooks.journal.Records.failed;
import static dev.hfwebhooks.journal.Records.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The journal as serve opens it, with its write-ahead log: every test of {@link SqliteJournalTest},
 * and what happens to a log a server left behind.
 */
class LoggedSqliteJournalTest extends SqliteJournalTest {
  private static final String PREFIX = SqliteJournal.FILE_NAME + "-log-";

  @Override
  SqliteJournal open(Retention retention) {
    return SqliteJournal.openForServe(file(), retention);
  }

  private List<String> logFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(PREFIX)).toList();
    }
  }

  /** Writes records into a log file as a server does, without any database taking them. */
  private void deadServersLog(long generation, LogRecord... records) throws IOException {
    try (JournalLog log = JournalLog.start(dir, PREFIX, generation)) {
      for (LogRecord record : records) {
        log.append(record.encode(JournalLog.HEADER), end -> {});
      }
    }
  }

  @Test
  void whatTheLogOfADeadServerHoldsReachesTheDatabaseAtTheNextStart() throws Exception {
    NewDelivery done = arrived("deploy");
    NewDelivery running = arrived("deploy");
    NewDelivery queued = arrived("notify");
    open(Retention.DEFAULT).close(); // the database exists and knows no log yet
    deadServersLog(
        1,
        new LogRecord.Received(done, true),
        new LogRecord.Received(running, true),
        new LogRecord.Finished(done.id(), 1, failed(3), Status.FAILED),
        new LogRecord.Received(queued, false));

    try (SqliteJournal journal = open(Retention.DEFAULT)) {
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
  void aRecordACrashCutShortIsLeftOutAndTheOnesBeforeItAreKept() throws Exception {
    NewDelivery whole = arrived("deploy");
    NewDelivery cut = arrived("deploy");
    deadServersLog(1, new LogRecord.Received(whole, false));
    byte[] frame = new LogRecord.Received(cut, false).encode(JournalLog.HEADER);
    try (FileChannel file = FileChannel.open(dir.resolve(PREFIX + 1), StandardOpenOption.APPEND)) {
      // Its length and CRC are zero: what a write cut before the header was filled looks like.
      file.write(ByteBuffer.wrap(frame, 0, frame.length / 2));
    }

    try (SqliteJournal journal = open(Retention.DEFAULT)) {
      assertThat(journal.find(whole.id())).isPresent();
      assertThat(journal.find(cut.id())).isEmpty();
    }
  }

  @Test
  void aLogTheDatabaseAlreadyHasIsNotAppliedTwice() throws Exception {
    NewDelivery delivery = arrived("deploy");
    Path saved = dir.resolve("saved");
    String name;
    try (SqliteJournal journal = open(Retention.DEFAULT)) {
      journal.finish(delivery.id(), journal.acceptRunning(delivery), succeeded(), Status.SUCCEEDED);
      assertThat(journal.find(delivery.id())).isPresent(); // the database has it now
      name = logFiles().getFirst();
      Files.copy(dir.resolve(name), saved);
    }
    assertThat(logFiles()).as("a clean stop deletes the log").isEmpty();
    // The log as a crash right after the database took it would leave it.
    Files.move(saved, dir.resolve(name));

    try (SqliteJournal journal = open(Retention.DEFAULT)) {
      assertThat(journal.list(Query.newest(10)))
          .extracting(DeliverySummary::id, DeliverySummary::status)
          .containsExactly(tuple(delivery.id(), Status.SUCCEEDED));
    }
  }

  @Test
  void theLogMovesOnToNewFilesAndDeletesTheOnesTheDatabaseHas() throws Exception {
    List<String> ids = new ArrayList<>();
    try (SqliteJournal journal = SqliteJournal.openForServe(file(), Retention.DEFAULT, 16_384)) {
      for (int i = 0; i < 300; i++) {
        NewDelivery d = arrived("deploy");
        ids.add(d.id());
        journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
        if (i % 20 == 0) {
          journal.find(d.id()); // a commit, after which a full file can go
        }
      }
      journal.find(ids.getLast());
      journal.find(ids.getLast());

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
