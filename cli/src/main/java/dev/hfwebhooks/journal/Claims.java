package dev.hfwebhooks.journal;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The thread that takes deliveries from a journal several servers {@linkplain Journal#shared()
 * share}: whenever this server's workers are free it {@linkplain Journal#claim claims} the oldest
 * due deliveries, as many as there are free workers, and hands them over. Woken at once by a
 * delivery this server queued, it looks again every {@link #POLL} for those of other servers,
 * retries whose back-off ended and leases that lapsed.
 */
final class Claims {
  /** How often a server with a free worker looks for deliveries it was not told of. */
  static final Duration POLL = Duration.ofMillis(500);

  private final Journal journal;
  private final Semaphore idle;
  private final Consumer<Journal.Started> run;
  private final Consumer<String> log;
  private final Object wake = new Object();
  private boolean woken;
  private volatile boolean closing;
  private @Nullable Thread thread;

  /**
   * Claims for {@code workers} workers, once {@linkplain #start started}; {@code run} takes each
   * claimed delivery and must call {@link #released} once its worker is free again.
   */
  Claims(Journal journal, int workers, Consumer<Journal.Started> run, Consumer<String> log) {
    this.journal = journal;
    this.idle = new Semaphore(workers);
    this.run = run;
    this.log = log;
  }

  synchronized void start() {
    if (thread == null && !closing) {
      thread = Thread.ofPlatform().daemon().name("hf-webhooks-claim").start(this::loop);
    }
  }

  /** Looks for a delivery now: this server just queued one, or a retry is due. */
  void wake() {
    synchronized (wake) {
      woken = true;
      wake.notifyAll();
    }
  }

  /** A worker that ran a claimed delivery is free again. */
  void released() {
    idle.release();
  }

  private void loop() {
    boolean failing = false;
    try {
      while (!closing) {
        idle.acquire();
        // Every free worker's delivery in one round trip to the database.
        int free = 1 + idle.drainPermits();
        List<Journal.Started> claimed = List.of();
        if (!closing) {
          try {
            claimed = journal.claim(free);
            if (failing) {
              log.accept("The journal answers again: taking deliveries.");
              failing = false;
            }
          } catch (RuntimeException e) {
            if (!failing) {
              log.accept(
                  "warning: cannot take deliveries from the journal (%s); trying again every %s"
                      .formatted(
                          e.getMessage(),
                          String.format(Locale.ROOT, "%.1f s", POLL.toMillis() / 1000.0)));
              failing = true;
            }
          }
        }
        idle.release(free - claimed.size());
        claimed.forEach(run);
        if (claimed.size() < free) {
          // Nothing more is due now: wait for this server's next delivery, or the next look.
          awaitWake();
        }
      }
    } catch (InterruptedException e) {
      // Closing.
    }
  }

  // A spurious wake-up only polls early: the claim loop around it waits again.
  @SuppressWarnings("WaitNotInLoop")
  private void awaitWake() throws InterruptedException {
    synchronized (wake) {
      if (!woken && !closing) {
        wake.wait(POLL.toMillis());
      }
      woken = false;
    }
  }

  /** Stops claiming; what was claimed is the caller's to finish. */
  void close() {
    Thread claiming;
    synchronized (this) {
      closing = true;
      claiming = thread;
    }
    wake();
    idle.release(); // a loop waiting for a free worker sees it is closing
    if (claiming == null) {
      return;
    }
    try {
      claiming.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
