package dev.hfwebhooks.journal;

import static dev.hfwebhooks.journal.Records.arrived;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.journal.sqlite.SqliteJournal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue on a real journal, with a stand-in runner and a scheduler that runs a retry at once and
 * notes the delay it was asked for: nothing here sleeps.
 */
class DeliveryQueueTest {
  @TempDir Path dir;

  private SqliteJournal journal;
  private final List<Duration> delays = new CopyOnWriteArrayList<>();
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

  /** Runs a retry at once, recording how long it was asked to wait. */
  private final DeliveryQueue.Scheduler immediate =
      new DeliveryQueue.Scheduler() {
        @Override
        public void schedule(Duration delay, Runnable task) {
          delays.add(delay);
          task.run();
        }

        @Override
        public void close() {}
      };

  @BeforeEach
  void openJournal() {
    journal = SqliteJournal.openForServe(dir.resolve(SqliteJournal.FILE_NAME), Retention.DEFAULT);
  }

  @AfterEach
  void closeJournal() {
    journal.close();
  }

  /** A runner whose first {@code failures} runs of each delivery end as {@code failure}. */
  private DeliveryQueue.Runner failingFirst(int failures, Outcome failure) {
    return record -> {
      int run = runs.computeIfAbsent(record.id(), id -> new AtomicInteger()).incrementAndGet();
      return run <= failures
          ? failure.withDuration(Duration.ofMillis(3)).withProcess(1, "")
          : Outcome.succeeded(Outcome.Answer.of("{\"ok\":true}", record.id()), List.of("fine"))
              .withDuration(Duration.ofMillis(2));
    };
  }

  private DeliveryQueue queue(DeliveryQueue.Runner runner, int retries) {
    return new DeliveryQueue(
        journal,
        runner,
        new RetryPolicy(retries, Duration.ofSeconds(1), Duration.ofMinutes(1)),
        2,
        immediate,
        new Random(3),
        log::add);
  }

  private String enqueue(DeliveryQueue queue) {
    NewDelivery delivery = arrived("deploy");
    journal.enqueue(delivery);
    queue.submit(delivery.id());
    return delivery.id();
  }

  @Test
  void aDeliveryThatFailsTwiceIsRetriedUntilItSucceeds() throws Exception {
    DeliveryQueue queue =
        queue(failingFirst(2, Outcome.failed("deploy exited with status 1", List.of())), 3);

    String id = enqueue(queue);

    assertThat(queue.awaitIdle(Duration.ofSeconds(30))).isTrue();
    DeliveryRecord record = journal.find(id).orElseThrow();
    assertThat(record.summary().status()).isEqualTo(Status.SUCCEEDED);
    assertThat(record.summary().attempts()).isEqualTo(3);
    assertThat(record.attempts())
        .extracting(Attempt::trigger, Attempt::status)
        .containsExactly(
            tuple(Trigger.RECEIVED, Status.FAILED),
            tuple(Trigger.RETRY, Status.FAILED),
            tuple(Trigger.RETRY, Status.SUCCEEDED));
    // Exponential backoff with jitter: the first wait within [0.5, 1] s, the second [1, 2] s.
    assertThat(delays).hasSize(2);
    assertThat(delays.get(0)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
    assertThat(delays.get(1)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
    assertThat(log)
        .anyMatch(line -> line.contains("attempt 1 failed") && line.contains("retry 1 of 3"));
  }

  @Test
  void aDeliveryThatKeepsFailingIsMarkedFailedOnceItsRetriesAreUsedUp() throws Exception {
    DeliveryQueue queue =
        queue(failingFirst(100, Outcome.failed("deploy exited with status 1", List.of("boom"))), 2);

    String id = enqueue(queue);

    assertThat(queue.awaitIdle(Duration.ofSeconds(30))).isTrue();
    DeliveryRecord record = journal.find(id).orElseThrow();
    assertThat(record.summary().status()).isEqualTo(Status.FAILED);
    assertThat(record.summary().attempts()).isEqualTo(3);
    assertThat(record.summary().error()).isEqualTo("deploy exited with status 1");
    assertThat(record.stderr()).isEqualTo("boom");
    assertThat(runs.get(id)).hasValue(3);
    assertThat(log).anyMatch(line -> line.endsWith("no retries left, giving up"));
  }

  @Test
  void aDeliveryThatKeepsTimingOutEndsTimedOut() throws Exception {
    DeliveryQueue queue =
        queue(
            failingFirst(
                100, Outcome.timedOut("deploy timed out after 30 s and was stopped", List.of())),
            1);

    String id = enqueue(queue);

    assertThat(queue.awaitIdle(Duration.ofSeconds(30))).isTrue();
    assertThat(journal.find(id).orElseThrow().summary())
        .extracting(DeliverySummary::status, DeliverySummary::attempts)
        .containsExactly(Status.TIMED_OUT, 2);
  }

  @Test
  void withNoRetriesAFailureIsFinalAtOnce() throws Exception {
    DeliveryQueue queue = queue(failingFirst(1, Outcome.failed("no", List.of())), 0);

    String id = enqueue(queue);

    assertThat(queue.awaitIdle(Duration.ofSeconds(30))).isTrue();
    assertThat(journal.find(id).orElseThrow().summary().status()).isEqualTo(Status.FAILED);
    assertThat(delays).isEmpty();
  }

  @Test
  void recoverRunsEveryDeliveryAPreviousServerLeftQueuedOrRunning() throws Exception {
    NewDelivery wasRunning = arrived("deploy");
    NewDelivery wasQueued = arrived("deploy");
    journal.acceptRunning(wasRunning);
    journal.enqueue(wasQueued);
    DeliveryQueue queue = queue(failingFirst(0, null), 3);

    assertThat(queue.resume(journal.recover())).isEqualTo(2);

    assertThat(queue.awaitIdle(Duration.ofSeconds(30))).isTrue();
    for (NewDelivery d : List.of(wasRunning, wasQueued)) {
      DeliveryRecord record = journal.find(d.id()).orElseThrow();
      assertThat(record.summary().status()).isEqualTo(Status.SUCCEEDED);
      assertThat(record.attempts().getLast().trigger()).isEqualTo(Trigger.RECOVERY);
    }
    assertThat(journal.find(wasRunning.id()).orElseThrow().attempts()).hasSize(2);
  }

  @Test
  void closingLeavesWhatHasNotStartedQueuedAndRequeuesWhatWasStopped() throws Exception {
    CountDownLatch started = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    DeliveryQueue queue =
        queue(
            record -> {
              started.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return Outcome.failed("deploy was stopped: the server is shutting down", List.of());
            },
            3);
    for (int i = 0; i < 5; i++) {
      enqueue(queue);
    }
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue(); // both workers busy

    queue.close(Duration.ofMillis(50), release::countDown);

    assertThat(journal.list(Query.newest(10)))
        .extracting(DeliverySummary::status)
        .containsOnly(Status.QUEUED)
        .hasSize(5);
    assertThat(journal.list(Query.newest(10)))
        .extracting(DeliverySummary::attempts)
        .containsExactlyInAnyOrder(1, 1, 0, 0, 0);
    assertThat(delays).as("no retry is scheduled while stopping").isEmpty();
  }
}
