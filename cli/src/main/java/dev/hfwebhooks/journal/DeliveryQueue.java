package dev.hfwebhooks.journal;

import dev.hfwebhooks.flow.Lanes;
import dev.hfwebhooks.handler.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Runs journaled deliveries on a fixed pool of workers ({@code serve --async}, and what a previous
 * server left unfinished): each attempt is recorded before it starts and when it ends, a failed or
 * timed-out one is retried as the {@link RetryPolicy} says, and the last one's result stays.
 *
 * <p>The queue in memory holds only ids: the journal holds the deliveries, so a backlog costs
 * little memory and survives a restart. Deliveries not started when the queue closes stay {@code
 * queued} in the journal and run at the next start.
 *
 * <p>A delivery submitted with a {@link Lanes.Lane} ({@code @concurrency}) waits for its turn in it
 * before its attempt starts, without holding a worker; each retry waits again, behind those that
 * came meanwhile.
 *
 * <p>On a journal several servers {@linkplain Journal#shared() share}, deliveries are not handed to
 * this queue's workers directly: whichever server has a free worker {@linkplain Journal#claim
 * claims} the oldest due one, so a delivery accepted by a busy server runs on an idle one, and a
 * retry or a dead server's delivery runs wherever a worker is free ({@link Claims}). There a lane
 * counts this server's runs, and a delivery waits for its turn on the worker that claimed it.
 */
public final class DeliveryQueue {
  /** Runs one attempt of a recorded delivery through its handler; never throws. */
  @FunctionalInterface
  public interface Runner {
    Outcome run(DeliveryRecord record);
  }

  /** Runs a task after a delay: threads in serve, at once in tests (which record the delay). */
  public interface Scheduler extends AutoCloseable {
    void schedule(Duration delay, Runnable task);

    /** Drops the tasks not run yet. */
    @Override
    void close();

    /** A scheduler thread of its own. */
    static Scheduler thread() {
      return thread("hf-webhooks-retry");
    }

    /** A scheduler thread of its own, named {@code name}. */
    static Scheduler thread(String name) {
      ScheduledExecutorService executor =
          Executors.newSingleThreadScheduledExecutor(
              Thread.ofPlatform().daemon().name(name).factory());
      return new Scheduler() {
        @Override
        @SuppressWarnings("FutureReturnValueIgnored") // each task handles its own failures
        public void schedule(Duration delay, Runnable task) {
          try {
            executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
          } catch (RejectedExecutionException e) {
            // Closed: the delivery stays queued in the journal for the next start.
          }
        }

        @Override
        public void close() {
          executor.shutdownNow();
        }
      };
    }
  }

  private final Journal journal;
  private final boolean shared;
  private final Runner runner;
  private final RetryPolicy policy;
  private final Scheduler scheduler;
  private final RandomGenerator random;
  private final Consumer<String> log;
  private final ThreadPoolExecutor workers;

  /** Deliveries submitted or waiting for a retry, not yet done with. */
  private final AtomicInteger outstanding = new AtomicInteger();

  private volatile boolean closing;

  private final int workerCount;

  /** What takes deliveries from a shared journal; null otherwise. */
  private volatile @Nullable Claims claims;

  public DeliveryQueue(
      Journal journal,
      Runner runner,
      RetryPolicy policy,
      int workers,
      Scheduler scheduler,
      RandomGenerator random,
      Consumer<String> log) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1, not " + workers);
    }
    this.journal = journal;
    this.shared = journal.shared();
    this.workerCount = workers;
    this.runner = runner;
    this.policy = policy;
    this.scheduler = scheduler;
    this.random = random;
    this.log = log;
    AtomicInteger count = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            workers,
            workers,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            task ->
                Thread.ofPlatform()
                    .daemon()
                    .name("hf-webhooks-worker-" + count.incrementAndGet())
                    .unstarted(task));
  }

  /** Runs a delivery already recorded as queued, as soon as a worker is free. */
  public void submit(String id) {
    submit(id, Trigger.RECEIVED, null);
  }

  /**
   * Runs a delivery already recorded as queued once a worker is free and it has a turn in {@code
   * lane} (none when null).
   */
  public void submit(String id, Lanes.@Nullable Lane lane) {
    submit(id, Trigger.RECEIVED, lane);
  }

  /**
   * Queues {@code left}, what {@link Journal#recover} found a previous server left unfinished;
   * returns how many. Serve recovers the journal before it takes requests and queues the rest once
   * it is up, so that no delivery of its own is taken for a leftover.
   */
  public int resume(List<DeliverySummary> left) {
    return resume(left, d -> null);
  }

  /** As {@link #resume(List)}, each in the lane {@code lanes} gives it (none for null). */
  public int resume(List<DeliverySummary> left, Function<DeliverySummary, Lanes.Lane> lanes) {
    for (DeliverySummary delivery : left) {
      log.accept(
          "%s delivery=%s left %s by the last server: running it again"
              .formatted(
                  delivery.handler(),
                  delivery.id(),
                  delivery.attempts() == 0 ? "queued" : "unfinished"));
      submit(delivery.id(), Trigger.RECOVERY, lanes.apply(delivery));
    }
    return left.size();
  }

  /**
   * Takes a turn in the delivery's lane here, in the order deliveries are submitted (oldest first),
   * and hands the attempt to a worker once it has one: at once, or when the run before it leaves. A
   * delivery waiting for its turn holds no worker.
   */
  private void submit(String id, Trigger trigger, Lanes.@Nullable Lane lane) {
    if (shared) {
      Claims c = claims;
      if (c != null) {
        c.wake(); // this server's claims take it, or another server's do
      }
      return;
    }
    outstanding.incrementAndGet();
    if (lane == null) {
      execute(() -> attempt(id, trigger, null, null), null);
      return;
    }
    Lanes.Turn turn =
        lane.tryEnter(later -> execute(() -> attempt(id, trigger, lane, later), later));
    if (turn != null) {
      execute(() -> attempt(id, trigger, lane, turn), turn);
    }
  }

  /** Hands {@code task} to a worker; closed, it is dropped (the delivery stays queued). */
  private void execute(Runnable task, Lanes.@Nullable Turn turn) {
    try {
      workers.execute(task);
    } catch (RejectedExecutionException e) {
      if (turn != null) {
        turn.leave();
      }
      done();
    }
  }

  /** How many deliveries wait or run. */
  public int pending() {
    return outstanding.get();
  }

  private void attempt(
      String id, Trigger trigger, Lanes.@Nullable Lane lane, Lanes.@Nullable Turn turn) {
    try {
      if (closing) {
        return; // stays queued in the journal, for the next start
      }
      Journal.Started started = journal.startAndRead(id, trigger);
      settle(
          started,
          runner.run(started.delivery()),
          delay -> {
            outstanding.incrementAndGet();
            scheduler.schedule(
                delay,
                () -> {
                  submit(id, Trigger.RETRY, lane);
                  done();
                });
          });
    } catch (RuntimeException e) {
      // The journal failed (disk full, locked): what it last recorded stands, and the next start
      // runs a delivery left queued or running again.
      log.accept("delivery=%s: %s".formatted(id, e.getMessage()));
    } finally {
      if (turn != null) {
        turn.leave();
      }
      done();
    }
  }

  /**
   * Records how an attempt ended and what comes next: done, queued for the next start (the server
   * stops), or a retry after the policy's delay, which {@code retry} schedules.
   */
  private void settle(Journal.Started started, Outcome outcome, Consumer<Duration> retry) {
    String id = started.delivery().id();
    int number = started.number();
    AttemptResult result = AttemptResult.of(outcome);
    String what =
        "%s delivery=%s attempt %d %s in %d ms"
            .formatted(
                started.delivery().handler(),
                id,
                number,
                result.status().label(),
                result.durationMs());
    if (outcome.succeeded()) {
      journal.finish(id, number, result, Status.SUCCEEDED);
      log.accept(what);
    } else if (closing) {
      // Stopped with the server (or failed as it stopped): at-least-once says run it again.
      journal.finish(id, number, result, Status.QUEUED);
      log.accept(
          what
              + " (%s); queued for %s"
                  .formatted(outcome.error(), shared ? "another server" : "the next start"));
    } else if (policy.retriesAfter(number)) {
      Duration delay = policy.delayAfter(number, random);
      journal.finish(id, number, result, Status.QUEUED, delay);
      log.accept(
          what
              + " (%s); retry %d of %d in %s"
                  .formatted(outcome.error(), number, policy.retries(), seconds(delay)));
      retry.accept(delay);
    } else {
      journal.finish(id, number, result, result.status());
      log.accept(
          what
              + " (%s)%s"
                  .formatted(
                      outcome.error(),
                      policy.retries() == 0 ? "" : "; no retries left, giving up"));
    }
  }

  // ---- a shared journal ----

  /**
   * Starts taking deliveries from a {@linkplain Journal#shared() shared} journal, each run in the
   * lane {@code lanes} gives it (none for null); does nothing on a journal only this server keeps,
   * whose deliveries are submitted.
   */
  public synchronized void startClaiming(Function<DeliveryRecord, Lanes.Lane> lanes) {
    if (!shared || claims != null || closing) {
      return;
    }
    claims =
        new Claims(
            journal,
            workerCount,
            started -> {
              outstanding.incrementAndGet();
              try {
                workers.execute(() -> runClaimed(started, lanes));
              } catch (RejectedExecutionException e) {
                // Closing: let go of it for another server, as a stop does with a running one.
                handBack(started);
                claims().released();
                done();
              }
            },
            log);
    claims.start();
  }

  private void runClaimed(Journal.Started started, Function<DeliveryRecord, Lanes.Lane> lanes) {
    DeliveryRecord record = started.delivery();
    Lanes.Turn turn = null;
    try {
      Lanes.Lane lane = lanes.apply(record);
      if (lane != null) {
        CompletableFuture<Lanes.Turn> later = new CompletableFuture<>();
        turn = lane.tryEnter(later::complete);
        if (turn == null) {
          turn = later.join();
        }
      }
      if (closing) {
        handBack(started);
        return;
      }
      settle(started, runner.run(record), delay -> scheduler.schedule(delay, claims()::wake));
    } catch (RuntimeException e) {
      log.accept("delivery=%s: %s".formatted(record.id(), e.getMessage()));
    } finally {
      if (turn != null) {
        turn.leave();
      }
      claims().released();
      done();
    }
  }

  /** The claims: set before the first delivery is claimed. */
  private Claims claims() {
    return Objects.requireNonNull(claims, "claims started");
  }

  /** Queues a claimed delivery again without running it, for whichever server comes next. */
  private void handBack(Journal.Started started) {
    try {
      journal.finish(
          started.delivery().id(),
          started.number(),
          new AttemptResult(
              Status.FAILED, null, 0, "interrupted: the server stopped first", null, null),
          Status.QUEUED);
    } catch (RuntimeException e) {
      // Its lease lapses, and another server takes it then.
    }
  }

  private void done() {
    synchronized (outstanding) {
      if (outstanding.decrementAndGet() == 0) {
        outstanding.notifyAll();
      }
    }
  }

  /** Waits until nothing waits or runs, for at most {@code limit}; true when idle. */
  public boolean awaitIdle(Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    synchronized (outstanding) {
      while (outstanding.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        outstanding.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  /**
   * Stops: no new attempt starts, retries waiting are dropped (their deliveries stay queued in the
   * journal), running attempts may finish for {@code grace}; then {@code stopRunning} ends the
   * handlers still running, whose deliveries are queued again for the next start.
   */
  public void close(Duration grace, Runnable stopRunning) {
    Claims c;
    synchronized (this) {
      closing = true;
      c = claims;
    }
    if (c != null) {
      c.close();
    }
    scheduler.close();
    workers.shutdown();
    try {
      if (!workers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.accept("Deliveries still running after %s; stopping them.".formatted(seconds(grace)));
        stopRunning.run();
        if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
          workers.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      workers.shutdownNow();
    }
  }

  private static String seconds(Duration duration) {
    return String.format(java.util.Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
  }
}
