package dev.hfwebhooks.journal;

import dev.hfwebhooks.handler.Handlers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs deliveries {@code @debounce} holds once their window ends: the journal keeps each held
 * delivery and when it is due, and this schedules its release then. A delivery replaced meanwhile
 * by a later one of its burst is not released (the journal says so), so each burst runs once, with
 * its latest delivery. What a server left held is scheduled again by the next one ({@link
 * #resume}): a restart in the middle of a window loses nothing.
 */
public final class HeldDeliveries implements AutoCloseable {
  private final Journal journal;
  private final DeliveryQueue.Scheduler scheduler;
  private final Consumer<String> run;
  private final Consumer<String> log;

  /**
   * @param run queues a released delivery, by id (it is {@code queued} in the journal by then)
   * @param scheduler runs each release at its time
   */
  public HeldDeliveries(
      Journal journal,
      DeliveryQueue.Scheduler scheduler,
      Consumer<String> run,
      Consumer<String> log) {
    this.journal = journal;
    this.scheduler = scheduler;
    this.run = run;
    this.log = log;
  }

  /**
   * Releases held deliveries to {@code queue}, each in the {@code @concurrency} lane of its
   * handler, if any.
   */
  public static HeldDeliveries toQueue(
      Journal journal,
      DeliveryQueue queue,
      Handlers handlers,
      DeliveryQueue.Scheduler scheduler,
      Consumer<String> log) {
    return new HeldDeliveries(
        journal,
        scheduler,
        id ->
            queue.submit(
                id, journal.find(id).map(r -> handlers.lane(r.handler(), r.body())).orElse(null)),
        log);
  }

  /**
   * Records {@code delivery} as held (see {@link Journal#hold}) and schedules its release.
   *
   * @throws JournalException when it could not be recorded: it is not held then
   */
  public Journal.Held hold(NewDelivery delivery, String key, Duration wait, Duration max) {
    Journal.Held held = journal.hold(delivery, key, wait, max);
    schedule(delivery.id(), held.due());
    return held;
  }

  /** Schedules again what the journal holds, the ones already due at once; returns how many. */
  public int resume() {
    List<Journal.Pending> pending = journal.held();
    for (Journal.Pending p : pending) {
      log.accept(
          "%s delivery=%s held by @debounce until %s: runs then unless a later one replaces it"
              .formatted(p.handler(), p.id(), p.due()));
      schedule(p.id(), p.due());
    }
    return pending.size();
  }

  private void schedule(String id, Instant due) {
    Duration delay = Duration.between(Instant.now(), due);
    scheduler.schedule(delay.isNegative() ? Duration.ZERO : delay, () -> release(id));
  }

  private void release(String id) {
    try {
      if (journal.release(id)) {
        run.accept(id);
      }
    } catch (RuntimeException e) {
      // Still held in the journal: the next start schedules it again.
      log.accept("delivery=%s: cannot release it from @debounce: %s".formatted(id, e.getMessage()));
    }
  }

  /** Drops the releases not due yet; their deliveries stay held in the journal. */
  @Override
  public void close() {
    scheduler.close();
  }
}
