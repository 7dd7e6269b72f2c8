package dev.hfwebhooks.journal;

import static dev.hfwebhooks.journal.Records.arrived;
import static dev.hfwebhooks.journal.Records.failed;
import static dev.hfwebhooks.journal.Records.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * What every journal does, whichever store holds it: the behaviour of each {@link Journal} method,
 * recovery after a server stops, retention, and writers at once, in one thread or several, through
 * one handle or two. A backend's test extends this class, says how its store is opened, and adds
 * only what is its own (files, a log, a server's errors).
 *
 * <p>The hooks open one store per test: a test may open it several times, closes every handle it
 * opens, and never assumes where or how the store keeps its data. Messages name the store by {@link
 * Journal#location()}.
 */
public abstract class JournalContract {

  /**
   * The store under test as {@code serve} opens it, removing what {@code retention} no longer
   * keeps: empty at a test's first call, and the same store at each later call, as a server started
   * again after the one before stopped. A test holds at most one such handle at a time.
   */
  protected abstract Journal openForServe(Retention retention);

  /**
   * Another handle on the same store, as {@code replay} (or a second server) opens it, possibly
   * while one from {@link #openForServe} is open and writing; {@code retention} null leaves
   * removing old deliveries to serve. What one handle writes, the other may see only a moment
   * later.
   */
  protected abstract Journal openAgain(Retention retention);

  /** The same store, to read only, as {@code deliveries} opens it once a server wrote to it. */
  protected abstract Journal openForReading();

  private Journal openForServe() {
    return openForServe(Retention.DEFAULT);
  }

  @Test
  void aQueuedDeliveryReadsBackWithItsBodyByteForByteAndItsHeaders() {
    NewDelivery delivery = arrived("deploy");
    try (Journal journal = openForServe()) {
      journal.enqueue(delivery);
    }
    // Read back through another handle: what was written is stored, not only in memory.
    try (Journal journal = openForReading()) {
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
    try (Journal journal = openForServe()) {
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
    try (Journal journal = openForServe()) {
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
          .isInstanceOf(JournalException.class)
          .hasMessage("no delivery no-such-id in " + journal.location());
    }
  }

  @Test
  void anAttemptThatEndsAfterALaterOneStartedChangesOnlyItsOwnRecord() {
    NewDelivery delivery = arrived("deploy");
    try (Journal journal = openForServe()) {
      int served = journal.acceptRunning(delivery);
      int replayed = journal.start(delivery.id(), Trigger.REPLAY); // from the console, meanwhile
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
  void anUnknownIdIsEmptyAndStartingItIsAnError() {
    try (Journal journal = openForServe()) {
      assertThat(journal.find("no-such-id")).isEmpty();
      assertThatThrownBy(() -> journal.start("no-such-id", Trigger.REPLAY))
          .isInstanceOf(JournalException.class)
          .hasMessage("no delivery no-such-id in " + journal.location());
    }
  }

  @Test
  void aDeliveryIsFoundByAPrefixOfItsIdThatMatchesItAlone() {
    NewDelivery first = withId("019ac6f0-3e21-7b4c-9d12-5f8e2a7c4b90");
    NewDelivery second = withId("019ac6f0-3e99-7b4c-9d12-5f8e2a7c4b90");
    try (Journal journal = openForServe()) {
      journal.enqueue(first);
      journal.enqueue(second);

      assertThat(journal.find("019ac6f0-3e2")).map(DeliveryRecord::id).contains(first.id());
      assertThat(journal.find("019ac6f0-3e9")).map(DeliveryRecord::id).contains(second.id());
      assertThat(journal.find("019ac6f0-3e")).as("two match").isEmpty();
      assertThat(journal.find("019ac6f0-3e21-7b4c-9d12-5f8e2a7c4b90-and-more")).isEmpty();
      assertThat(journal.find(second.id()).orElseThrow().body()).isEqualTo(second.body());
    }
  }

  @Test
  void listIsNewestFirstAndFiltersByHandlerStatusAndLimit() {
    try (Journal journal = openForServe()) {
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
      assertThat(journal.list(new Query("deploy", Status.SUCCEEDED, 10)))
          .extracting(DeliverySummary::id)
          .containsExactly(ids.get(2), ids.get(0));
      assertThat(journal.list(Query.newest(2)))
          .extracting(DeliverySummary::id)
          .containsExactly(ids.get(4), ids.get(3));
    }
  }

  @Test
  void recoverQueuesAgainWhatADeadServerLeftRunningAndSaysTheAttemptWasInterrupted() {
    NewDelivery queued = arrived("deploy");
    NewDelivery running = arrived("deploy");
    NewDelivery done = arrived("deploy");
    NewDelivery queuedLater = arrived("notify");
    try (Journal journal = openForServe()) {
      journal.enqueue(queued);
      journal.acceptRunning(running);
      journal.finish(done.id(), journal.acceptRunning(done), succeeded(), Status.SUCCEEDED);
      journal.enqueue(queuedLater);
    }
    // A new server opens the journal the one before left.
    try (Journal journal = openForServe()) {
      if (journal.shared()) {
        // Nothing is recovered as a whole where other servers may be alive: claims take what
        // was left, oldest first, as any server's would.
        assertThat(journal.recover()).isEmpty();
        List<String> claimed = new ArrayList<>();
        for (var next = journal.claim(); next.isPresent(); next = journal.claim()) {
          claimed.add(next.get().delivery().id());
        }
        assertThat(claimed)
            .as("oldest first")
            .containsExactly(queued.id(), running.id(), queuedLater.id());
        Attempt interrupted = journal.find(running.id()).orElseThrow().attempts().getFirst();
        assertThat(interrupted.status()).isEqualTo(Status.FAILED);
        assertThat(interrupted.error()).startsWith("interrupted: the server");
        assertThat(journal.find(done.id()).orElseThrow().summary().status())
            .isEqualTo(Status.SUCCEEDED);
        return;
      }
      List<DeliverySummary> left = journal.recover();

      assertThat(left)
          .as("oldest first")
          .extracting(DeliverySummary::id)
          .containsExactly(queued.id(), running.id(), queuedLater.id());
      assertThat(left).extracting(DeliverySummary::status).containsOnly(Status.QUEUED);
      Attempt interrupted = journal.find(running.id()).orElseThrow().attempts().getFirst();
      assertThat(interrupted.status()).isEqualTo(Status.FAILED);
      assertThat(interrupted.error())
          .isEqualTo("interrupted: the server stopped during this attempt");
      assertThat(journal.find(done.id()).orElseThrow().summary().status())
          .isEqualTo(Status.SUCCEEDED);
      assertThat(journal.recover()).hasSize(3); // still queued until a worker starts them
    }
  }

  @Test
  void retentionByCountKeepsTheNewestAndNeverAnUnfinishedDelivery() {
    NewDelivery queued = arrived("deploy");
    NewDelivery running = arrived("deploy");
    NewDelivery held = arrived("retrain");
    List<String> finished = new ArrayList<>();
    try (Journal journal = openForServe(new Retention(3, null))) {
      journal.enqueue(queued);
      journal.acceptRunning(running);
      journal.hold(held, "k", Duration.ofHours(1), Duration.ofHours(2));
      for (int i = 0; i < 8; i++) {
        NewDelivery d = arrived("deploy");
        int first = journal.acceptRunning(d);
        if (i % 2 == 0) { // retried: it has two attempts to remove
          journal.finish(d.id(), first, failed(1), Status.QUEUED);
          first = journal.start(d.id(), Trigger.RETRY);
        }
        journal.finish(d.id(), first, succeeded(), Status.SUCCEEDED);
        finished.add(d.id());
      }

      assertThat(journal.list(Query.newest(100)))
          .extracting(DeliverySummary::id)
          .containsExactly(
              finished.get(7),
              finished.get(6),
              finished.get(5),
              held.id(),
              running.id(),
              queued.id());
      assertThat(journal.find(finished.get(0))).isEmpty();
      assertThat(journal.find(finished.get(6)).orElseThrow().attempts()).hasSize(2);
    }
  }

  @Test
  void retentionByAgeDropsFinishedDeliveriesOlderThanItAtStartAndNothingUnfinished() {
    Instant hoursAgo = Instant.now().minus(Duration.ofHours(3));
    NewDelivery old = arrived("deploy", hoursAgo);
    NewDelivery oldQueued = arrived("deploy", hoursAgo);
    NewDelivery oldRunning = arrived("deploy", hoursAgo);
    NewDelivery oldHeld = arrived("retrain", hoursAgo);
    NewDelivery recent = arrived("deploy", Instant.now().minus(Duration.ofMinutes(5)));
    try (Journal journal = openForServe()) {
      journal.finish(old.id(), journal.acceptRunning(old), succeeded(), Status.SUCCEEDED);
      journal.enqueue(oldQueued);
      journal.acceptRunning(oldRunning);
      journal.hold(oldHeld, "k", Duration.ofDays(1), Duration.ofDays(1));
      journal.finish(recent.id(), journal.acceptRunning(recent), succeeded(), Status.SUCCEEDED);
    }
    try (Journal journal = openForServe(Retention.parse("1h"))) {
      assertThat(journal.list(Query.newest(10)))
          .extracting(DeliverySummary::id)
          .containsExactly(recent.id(), oldHeld.id(), oldRunning.id(), oldQueued.id());
    }
  }

  @Test
  void outputAndStderrAreCutToTheirLastPart() {
    String longOutput = "x".repeat(AttemptResult.MAX_TAIL) + "THE END";
    NewDelivery d = arrived("chatty");
    try (Journal journal = openForServe()) {
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
  void aHeldDeliveryIsSupersededByTheNextOfItsKeyAndOnlyTheLatestIsReleased() {
    Instant t = Instant.parse("2026-11-27T10:00:00Z");
    Duration minute = Duration.ofMinutes(1);
    Duration hour = Duration.ofHours(1);
    try (Journal journal = openForServe()) {
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
    try (Journal journal = openForServe()) {
      journal.hold(arrived("retrain", t), "k", hour, max);
      Journal.Held second = journal.hold(arrived("retrain", t.plus(hour)), "k", hour, max);

      assertThat(second.due()).isEqualTo(t.plus(max));
    }
  }

  @Test
  void whatIsHeldIsStillHeldForTheNextServerWithWhenItIsDue() {
    Instant t = Instant.parse("2026-11-27T10:00:00Z");
    NewDelivery later = arrived("retrain", t.plusSeconds(30));
    NewDelivery sooner = arrived("notify", t);
    try (Journal journal = openForServe()) {
      journal.hold(later, "k", Duration.ofMinutes(1), Duration.ofHours(1));
      journal.hold(sooner, "k", Duration.ofMinutes(1), Duration.ofHours(1));
    }
    try (Journal journal = openForServe()) {
      assertThat(journal.held())
          .containsExactly(
              new Journal.Pending(sooner.id(), "notify", t.plusSeconds(60)),
              new Journal.Pending(later.id(), "retrain", t.plusSeconds(90)));
      assertThat(journal.recover()).as("held, not queued").isEmpty();
    }
  }

  @Test
  void writesFromManyThreadsAtOnceAllLand() throws Exception {
    try (Journal journal = openForServe();
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
    try (Journal journal = openForServe();
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
  void aServerAndAReplayWritingAtOnceBothLand() throws Exception {
    NewDelivery replayed = arrived("deploy");
    try (Journal serve = openForServe();
        Journal replay = openAgain(null);
        ExecutorService threads = Executors.newFixedThreadPool(6)) {
      serve.finish(replayed.id(), serve.acceptRunning(replayed), failed(3), Status.FAILED);
      eventually(() -> assertThat(replay.find(replayed.id())).isPresent());
      List<Future<String>> writes = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        Journal journal = i % 2 == 0 ? serve : replay;
        writes.add(
            threads.submit(
                () -> {
                  NewDelivery d = arrived(journal == serve ? "deploy" : "notify");
                  journal.enqueue(d);
                  int number = journal.startAndRead(d.id(), Trigger.RECEIVED).number();
                  journal.finish(d.id(), number, succeeded(), Status.SUCCEEDED);
                  return d.id();
                }));
      }
      List<Integer> replays = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        int number = replay.start(replayed.id(), Trigger.REPLAY);
        replay.finish(replayed.id(), number, succeeded(), Status.SUCCEEDED);
        replays.add(number);
      }
      List<String> ids = new ArrayList<>();
      for (Future<String> write : writes) {
        ids.add(write.get());
      }
      ids.add(replayed.id());

      assertThat(replays).containsExactly(2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
      for (Journal journal : List.of(serve, replay)) {
        eventually(
            () ->
                assertThat(journal.list(new Query(null, Status.SUCCEEDED, 1000)))
                    .extracting(DeliverySummary::id)
                    .containsExactlyInAnyOrderElementsOf(ids));
      }
      assertThat(serve.find(replayed.id()).orElseThrow().attempts())
          .extracting(Attempt::number, Attempt::trigger)
          .hasSize(11)
          .startsWith(tuple(1, Trigger.RECEIVED))
          .endsWith(tuple(11, Trigger.REPLAY));
    }
  }

  @Test
  void aClosedJournalSaysSoInOneLineAndKeepsWhatWasWritten() {
    NewDelivery delivery = arrived("deploy");
    Journal journal = openForServe();
    journal.enqueue(delivery);
    journal.close();
    journal.close(); // a second close does nothing

    String closed = "the journal " + journal.location() + " is closed";
    assertThatThrownBy(() -> journal.enqueue(arrived("deploy")))
        .isInstanceOf(JournalException.class)
        .hasMessage(closed);
    assertThatThrownBy(() -> journal.acceptRunning(arrived("deploy"))).hasMessage(closed);
    assertThatThrownBy(() -> journal.start(delivery.id(), Trigger.RETRY)).hasMessage(closed);
    assertThatThrownBy(() -> journal.finish(delivery.id(), 1, succeeded(), Status.SUCCEEDED))
        .hasMessage(closed);
    assertThatThrownBy(() -> journal.find(delivery.id())).hasMessage(closed);
    assertThatThrownBy(() -> journal.list(Query.newest(10))).hasMessage(closed);
    assertThatThrownBy(journal::recover).hasMessage(closed);
    try (Journal reading = openForReading()) {
      assertThat(reading.find(delivery.id())).isPresent();
    }
  }

  private static NewDelivery withId(String id) {
    NewDelivery d = arrived("deploy");
    return new NewDelivery(id, d.received(), d.handler(), d.body(), Map.of("x-id", id));
  }

  /**
   * Runs {@code check} until it passes, for 5 s at most: another handle may see a write only a
   * moment later.
   */
  private static void eventually(Runnable check) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(5);
    while (true) {
      try {
        check.run();
        return;
      } catch (AssertionError e) {
        if (Instant.now().isAfter(deadline)) {
          throw e;
        }
        Thread.sleep(10);
      }
    }
  }
}
