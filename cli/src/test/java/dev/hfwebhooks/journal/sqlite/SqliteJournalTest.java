package dev.hfwebhooks.journal.sqlite;

import static dev.hfwebhooks.journal.Records.arrived;
import static dev.hfwebhooks.journal.Records.failed;
import static dev.hfwebhooks.journal.Records.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite journal on a real file, as {@code replay} opens it (each write committed before it
 * returns); {@link LoggedSqliteJournalTest} runs the same tests as serve opens it.
 */
class SqliteJournalTest {
  @TempDir Path dir;

  Path file() {
    return dir.resolve(SqliteJournal.FILE_NAME);
  }

  SqliteJournal open(Retention retention) {
    return SqliteJournal.open(file(), retention);
  }

  private SqliteJournal open() {
    return open(Retention.DEFAULT);
  }

  @Test
  void aQueuedDeliveryReadsBackWithItsBodyByteForByteAndItsHeaders() {
    NewDelivery delivery = arrived("deploy");
    try (SqliteJournal journal = open()) {
      journal.enqueue(delivery);
    }
    // Read back from a fresh connection: what was written is on disk.
    try (SqliteJournal journal = SqliteJournal.openForReading(file())) {
      DeliveryRecord record = journal.find(delivery.id()).orElseThrow();

      assertThat(record.body()).isEqualTo(delivery.body());
      assertThat(record.headers()).isEqualTo(delivery.headers());
      assertThat(record.summary().status()).isEqualTo(Status.QUEUED);
      assertThat(record.summary().attempts()).isZero();
      assertThat(record.summary().received())
          .isEqualTo(delivery.received().truncatedTo(ChronoUnit.MILLIS));
      assertThat(record.attempts()).isEmpty();
    }
  }

  @Test
  void eachAttemptIsRecordedWithWhatStartedItAndHowItEnded() {
    NewDelivery delivery = arrived("deploy");
    try (SqliteJournal journal = open()) {
      int first = journal.acceptRunning(delivery);
      journal.finish(delivery.id(), first, failed(3), Status.QUEUED);
      int second = journal.start(delivery.id(), Trigger.RETRY);
      journal.finish(delivery.id(), second, succeeded(), Status.SUCCEEDED);

      DeliveryRecord record = journal.find(delivery.id()).orElseThrow();

      assertThat(first).isEqualTo(1);
      assertThat(second).isEqualTo(2);
      assertThat(record.summary())
          .extracting(
              DeliverySummary::status,
              DeliverySummary::attempts,
              DeliverySummary::exitStatus,
              DeliverySummary::durationMs,
              DeliverySummary::error)
          .containsExactly(Status.SUCCEEDED, 2, 0, 12L, null);
      assertThat(record.output()).isEqualTo("{\"ok\":true}");
      assertThat(record.stderr()).isEqualTo("done");
      assertThat(record.attempts())
          .extracting(Attempt::number, Attempt::trigger, Attempt::status, Attempt::exitStatus)
          .containsExactly(
              tuple(1, Trigger.RECEIVED, Status.FAILED, 3),
              tuple(2, Trigger.RETRY, Status.SUCCEEDED, 0));
      assertThat(record.attempts().getFirst().error()).isEqualTo("deploy exited with status 3");
    }
  }

  @Test
  void aWorkersStartRecordsTheAttemptAndReadsTheDeliveryAsItNowStands() {
    NewDelivery delivery = arrived("deploy");
    try (SqliteJournal journal = open()) {
      journal.enqueue(delivery);
      Journal.Started first = journal.startAndRead(delivery.id(), Trigger.RECEIVED);
      journal.finish(delivery.id(), first.number(), failed(1), Status.QUEUED);
      Journal.Started second = journal.startAndRead(delivery.id(), Trigger.RETRY);

      assertThat(first.number()).isEqualTo(1);
      assertThat(first.delivery().body()).isEqualTo(delivery.body());
      assertThat(first.delivery().summary().status()).isEqualTo(Status.RUNNING);
      assertThat(second.number()).isEqualTo(2);
      assertThat(second.delivery().attempts())
          .extracting(Attempt::number, Attempt::status)
          .containsExactly(tuple(1, Status.FAILED), tuple(2, Status.RUNNING));
      assertThatThrownBy(() -> journal.startAndRead("no-such-id", Trigger.REPLAY))
          .hasMessage("no delivery no-such-id in " + file());
    }
  }

  @Test
  void anAttemptThatEndsAfterALaterOneStartedChangesOnlyItsOwnRecord() {
    NewDelivery delivery = arrived("deploy");
    try (SqliteJournal journal = open()) {
      int served = journal.acceptRunning(delivery);
      int replayed = journal.start(delivery.id(), Trigger.REPLAY); // another process, meanwhile
      journal.finish(delivery.id(), replayed, succeeded(), Status.SUCCEEDED);
      journal.finish(delivery.id(), served, failed(3), Status.QUEUED);

      DeliveryRecord record = journal.find(delivery.id()).orElseThrow();

      assertThat(record.summary().status()).isEqualTo(Status.SUCCEEDED);
      assertThat(record.output()).isEqualTo(succeeded().output());
      assertThat(record.attempts())
          .extracting(Attempt::number, Attempt::status, Attempt::exitStatus)
          .containsExactly(tuple(1, Status.FAILED, 3), tuple(2, Status.SUCCEEDED, 0));
    }
  }

  @Test
  void listIsNewestFirstAndFiltersByHandlerStatusAndLimit() {
    try (SqliteJournal journal = open()) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        NewDelivery d = arrived(i % 2 == 0 ? "deploy" : "notify");
        ids.add(d.id());
        int n = journal.acceptRunning(d);
        journal.finish(
            d.id(), n, i == 4 ? failed(1) : succeeded(), i == 4 ? Status.FAILED : Status.SUCCEEDED);
      }

      assertThat(journal.list(Query.newest(10)))
          .extracting(DeliverySummary::id)
          .containsExactly(ids.get(4), ids.get(3), ids.get(2), ids.get(1), ids.get(0));
      assertThat(journal.list(new Query("notify", null, 10)))
          .extracting(DeliverySummary::id)
          .containsExactly(ids.get(3), ids.get(1));
      assertThat(journal.list(new Query(null, Status.FAILED, 10)))
          .extracting(DeliverySummary::id)
          .containsExactly(ids.get(4));
      assertThat(journal.list(Query.newest(2))).hasSize(2);
    }
  }

  @Test
  void recoverQueuesAgainWhatADeadServerLeftRunningAndSaysTheAttemptWasInterrupted() {
    NewDelivery running = arrived("deploy");
    NewDelivery queued = arrived("deploy");
    NewDelivery done = arrived("deploy");
    try (SqliteJournal journal = open()) {
      journal.acceptRunning(running);
      journal.enqueue(queued);
      journal.finish(done.id(), journal.acceptRunning(done), succeeded(), Status.SUCCEEDED);
    }
    // A new server opens the journal the dead one left.
    try (SqliteJournal journal = open()) {
      List<DeliverySummary> left = journal.recover();

      assertThat(left).extracting(DeliverySummary::id).containsExactly(running.id(), queued.id());
      assertThat(left).extracting(DeliverySummary::status).containsOnly(Status.QUEUED);
      Attempt interrupted = journal.find(running.id()).orElseThrow().attempts().getFirst();
      assertThat(interrupted.status()).isEqualTo(Status.FAILED);
      assertThat(interrupted.error()).contains("interrupted");
      assertThat(journal.recover()).hasSize(2); // still queued until a worker starts them
    }
  }

  @Test
  void retentionByCountKeepsTheNewestAndNeverAnUnfinishedDelivery() throws Exception {
    NewDelivery oldestQueued = arrived("deploy");
    List<String> finished = new ArrayList<>();
    try (SqliteJournal journal = open(new Retention(3, null))) {
      journal.enqueue(oldestQueued);
      for (int i = 0; i < 8; i++) {
        NewDelivery d = arrived("deploy");
        int first = journal.acceptRunning(d);
        if (i % 2 == 0) { // retried: its first attempt is a row of the attempts table
          journal.finish(d.id(), first, failed(1), Status.QUEUED);
          first = journal.start(d.id(), Trigger.RETRY);
        }
        journal.finish(d.id(), first, succeeded(), Status.SUCCEEDED);
        finished.add(d.id());
      }

      assertThat(journal.list(Query.newest(100)))
          .extracting(DeliverySummary::id)
          .containsExactly(finished.get(7), finished.get(6), finished.get(5), oldestQueued.id());
      assertThat(journal.find(finished.get(0))).isEmpty();
      assertThat(journal.find(finished.get(6)).orElseThrow().attempts()).hasSize(2);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM attempts")) {
      assertThat(rs.getInt(1)).as("the removed deliveries' attempts are gone too").isEqualTo(1);
    }
  }

  @Test
  void retentionByAgeDropsFinishedDeliveriesOlderThanItAtStart() {
    NewDelivery old = arrived("deploy", Instant.now().minus(Duration.ofHours(3)));
    NewDelivery recent = arrived("deploy", Instant.now().minus(Duration.ofMinutes(5)));
    try (SqliteJournal journal = open()) {
      for (NewDelivery d : List.of(old, recent)) {
        journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
      }
    }
    try (SqliteJournal journal = open(Retention.parse("1h"))) {
      assertThat(journal.list(Query.newest(10)))
          .extracting(DeliverySummary::id)
          .containsExactly(recent.id());
    }
  }

  @Test
  void outputAndStderrAreCutToTheirLastPart() {
    String longOutput = "x".repeat(AttemptResult.MAX_TAIL) + "THE END";
    NewDelivery d = arrived("chatty");
    try (SqliteJournal journal = open()) {
      journal.finish(
          d.id(),
          journal.acceptRunning(d),
          new AttemptResult(Status.SUCCEEDED, 0, 1, null, longOutput, longOutput),
          Status.SUCCEEDED);

      DeliveryRecord record = journal.find(d.id()).orElseThrow();

      assertThat(record.output()).startsWith("[cut: last ").endsWith("THE END");
      assertThat(record.output().length()).isLessThan(AttemptResult.MAX_TAIL + 100);
      assertThat(record.stderr()).endsWith("THE END");
    }
  }

  @Test
  void writesFromManyThreadsAtOnceAllLand() throws Exception {
    try (SqliteJournal journal = open();
        ExecutorService threads = Executors.newFixedThreadPool(16)) {
      List<Future<?>> writes = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        writes.add(
            threads.submit(
                () -> {
                  NewDelivery d = arrived("deploy");
                  journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
                }));
      }
      for (Future<?> write : writes) {
        write.get();
      }

      assertThat(journal.list(new Query(null, Status.SUCCEEDED, 1000))).hasSize(400);
    }
  }

  @Test
  void attemptsStartedAtOnceFromManyThreadsTakeOneNumberEach() throws Exception {
    NewDelivery delivery = arrived("deploy");
    try (SqliteJournal journal = open();
        ExecutorService threads = Executors.newFixedThreadPool(4)) {
      journal.enqueue(delivery);
      List<Future<Integer>> starts = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        Trigger trigger = i % 2 == 0 ? Trigger.REPLAY : Trigger.RETRY;
        starts.add(
            threads.submit(
                () -> {
                  // A worker's start and the console's replay of the same delivery, at once.
                  int number =
                      trigger == Trigger.RETRY
                          ? journal.startAndRead(delivery.id(), trigger).number()
                          : journal.start(delivery.id(), trigger);
                  journal.finish(delivery.id(), number, succeeded(), Status.SUCCEEDED);
                  return number;
                }));
      }
      List<Integer> numbers = new ArrayList<>();
      for (Future<Integer> start : starts) {
        numbers.add(start.get());
      }

      assertThat(numbers).doesNotHaveDuplicates().hasSize(40).allMatch(n -> n >= 1 && n <= 40);
      assertThat(journal.find(delivery.id()).orElseThrow().attempts())
          .extracting(Attempt::number, Attempt::status)
          .containsExactlyElementsOf(
              numbers.stream().sorted().map(n -> tuple(n, Status.SUCCEEDED)).toList());
    }
  }

  @Test
  void anUnknownIdIsEmptyAndStartingItIsAnError() {
    try (SqliteJournal journal = open()) {
      assertThat(journal.find("no-such-id")).isEmpty();
      assertThatThrownBy(() -> journal.start("no-such-id", Trigger.REPLAY))
          .isInstanceOf(JournalException.class)
          .hasMessage("no delivery no-such-id in " + file());
    }
  }

  @Test
  void aNewJournalHasLargerPagesThanSqlitesDefault() throws Exception {
    open().close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = c.createStatement();
        var rs = s.executeQuery("PRAGMA page_size")) {
      assertThat(rs.getInt(1)).isEqualTo(Schema.PAGE_SIZE);
    }
  }

  @Test
  void aFileThatIsNotADatabaseIsOneClearError() throws Exception {
    Files.writeString(file(), "these are my notes, not a database\n".repeat(100));

    assertThatThrownBy(this::open)
        .isInstanceOf(JournalException.class)
        .hasMessage(
            file()
                + " is not an hf-webhooks journal (not an SQLite database): move it away, or pass"
                + " another --data-dir");
    assertThatThrownBy(() -> SqliteJournal.openForReading(file()))
        .hasMessageContaining("is not an hf-webhooks journal");
  }

  @Test
  void anotherProgramsDatabaseIsNotTakenForAJournal() throws Exception {
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = other.createStatement()) {
      s.execute("CREATE TABLE recipes (name TEXT)");
    }

    assertThatThrownBy(this::open)
        .hasMessage(
            file()
                + " is not an hf-webhooks journal (it holds other tables): move it away, or pass"
                + " another --data-dir");
  }

  @Test
  void aHeldDeliveryIsSupersededByTheNextOfItsKeyAndOnlyTheLatestIsReleased() {
    Instant t = Instant.parse("2026-11-27T10:00:00Z");
    Duration minute = Duration.ofMinutes(1);
    Duration hour = Duration.ofHours(1);
    try (SqliteJournal journal = open()) {
      NewDelivery a = arrived("retrain", t);
      NewDelivery other = arrived("retrain", t.plusSeconds(10));
      NewDelivery b = arrived("retrain", t.plusSeconds(20));
      NewDelivery c = arrived("retrain", t.plusSeconds(30));

      assertThat(journal.hold(a, "acme/a", minute, hour))
          .isEqualTo(new Journal.Held(t.plus(minute), null));
      journal.hold(other, "acme/b", minute, hour);
      assertThat(journal.hold(b, "acme/a", minute, hour).superseded()).isEqualTo(a.id());
      assertThat(journal.hold(c, "acme/a", minute, hour))
          .isEqualTo(new Journal.Held(t.plusSeconds(30).plus(minute), b.id()));

      for (NewDelivery gone : List.of(a, b)) {
        assertThat(journal.find(gone.id()).orElseThrow().summary())
            .extracting(DeliverySummary::status, DeliverySummary::note)
            .containsExactly(Status.SUPERSEDED, "superseded by " + c.id() + " (@debounce)");
      }
      assertThat(journal.held())
          .extracting(Journal.Pending::id)
          .containsExactly(other.id(), c.id());
      assertThat(journal.release(b.id())).as("superseded: not released").isFalse();
      assertThat(journal.release(c.id())).isTrue();
      assertThat(journal.release(c.id())).as("only once").isFalse();
      assertThat(journal.find(c.id()).orElseThrow().summary().status()).isEqualTo(Status.QUEUED);
      assertThat(journal.held()).extracting(Journal.Pending::id).containsExactly(other.id());
    }
  }

  @Test
  void aBurstIsHeldNoLongerThanMaxAfterItsFirstDelivery() {
    Instant t = Instant.parse("2026-11-27T10:00:00Z");
    Duration hour = Duration.ofHours(1);
    Duration max = Duration.ofMinutes(90);
    try (SqliteJournal journal = open()) {
      journal.hold(arrived("retrain", t), "k", hour, max);
      Journal.Held second = journal.hold(arrived("retrain", t.plus(hour)), "k", hour, max);

      assertThat(second.due()).isEqualTo(t.plus(max));
    }
  }

  @Test
  void aJournalFromANewerVersionIsRefused() throws Exception {
    open().close();
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = other.createStatement()) {
      s.execute("PRAGMA user_version = 99");
    }

    assertThatThrownBy(this::open)
        .hasMessage(
            "the journal "
                + file()
                + " was written by a newer hf-webhooks (format 99; this one reads 1): upgrade, or"
                + " pass another --data-dir");
    assertThatThrownBy(() -> SqliteJournal.openForReading(file()))
        .hasMessageStartingWith("the journal " + file() + " was written by a newer hf-webhooks");
  }

  @Test
  void aDatabaseOfAnUnknownFormatIsNotTakenForAJournal() throws Exception {
    open().close();
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = other.createStatement()) {
      s.execute("PRAGMA user_version = -3");
    }

    assertThatThrownBy(this::open)
        .hasMessage(
            file()
                + " is not an hf-webhooks journal (its format, -3, is unknown): move it away, or"
                + " pass another --data-dir");
    assertThatThrownBy(() -> SqliteJournal.openForReading(file()))
        .hasMessageContaining("is not an hf-webhooks journal (its format, -3, is unknown)");
  }

  @Test
  void aJournalLockedByAnotherWriterSaysSoAfterWaiting() throws Exception {
    open().close();
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = other.createStatement()) {
      s.execute("BEGIN EXCLUSIVE");

      assertThatThrownBy(this::open)
          .isInstanceOf(JournalException.class)
          .hasMessage(
              "the journal "
                  + file()
                  + " is locked by another program (still busy after 5 s): wait for it, or stop"
                  + " it");
      s.execute("ROLLBACK");
    }
  }

  @Test
  void readingAJournalThatIsNotThereSaysWhere() {
    assertThatThrownBy(() -> SqliteJournal.openForReading(file()))
        .hasMessageStartingWith("no journal at " + file());
  }
}
