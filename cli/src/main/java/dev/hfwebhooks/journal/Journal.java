package dev.hfwebhooks.journal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The record of every accepted delivery and of each attempt to run it. Serve writes to it before a
 * handler runs, so that a delivery survives a crash; {@code deliveries} and {@code replay} read it.
 *
 * <p>An interface so that another store (a database server shared by several instances) can take
 * the place of the embedded one. Implementations are safe to call from many threads; a write that
 * returns survives a crash of the server, and {@link #enqueue} a power loss too. Every method may
 * throw {@link JournalException}.
 */
public interface Journal extends AutoCloseable {

  /** Records a delivery as {@code queued}: once this returns, a crash no longer loses it. */
  void enqueue(NewDelivery delivery);

  /** Records a delivery whose first attempt starts now (synchronous serve); returns 1. */
  int acceptRunning(NewDelivery delivery);

  /** Records the start of a new attempt of a known delivery; returns its number. */
  int start(String id, Trigger trigger);

  /**
   * Records the start of a replay ({@code hf-webhooks replay}, the console's button) and returns
   * its number, unless a server has the delivery queued or running: then it throws {@link
   * DeliveryBusy}, since the replay would run it a second time at once. Checked and recorded in one
   * transaction, so that no server starts it in between.
   */
  default int startReplay(String id) {
    return start(id, Trigger.REPLAY);
  }

  /** An attempt just recorded as started, and its delivery as the journal holds it. */
  record Started(int number, DeliveryRecord delivery) {}

  /**
   * Records the start of a new attempt of a known delivery and reads the delivery: what a worker
   * needs to run it.
   */
  default Started startAndRead(String id, Trigger trigger) {
    int number = start(id, trigger);
    return new Started(
        number,
        find(id)
            .orElseThrow(() -> new JournalException("no delivery " + id + " in " + location())));
  }

  /**
   * Records how attempt {@code number} ended, and where the delivery now stands: the attempt's own
   * status, or {@code queued} when it is to run again.
   */
  void finish(String id, int number, AttemptResult result, Status next);

  /**
   * As {@link #finish(String, int, AttemptResult, Status)}, for an attempt whose delivery is to run
   * again ({@code next} queued) no sooner than {@code after} from now: a retry's back-off, which a
   * {@linkplain #shared() shared} journal keeps so that any server may run the retry. A journal one
   * server keeps leaves the waiting to that server's queue. Without {@code after} (null), at once.
   */
  default void finish(
      String id, int number, AttemptResult result, Status next, @Nullable Duration after) {
    finish(id, number, result, next);
  }

  /**
   * Whether several servers share this journal: then any of them may run any queued delivery, each
   * taking it with {@link #claim}, and a server that dies holds its running deliveries only until
   * their lease lapses. A journal one server keeps is recovered at its start instead ({@link
   * #recover}).
   */
  default boolean shared() {
    return false;
  }

  /**
   * Takes up to {@code max} of the deliveries that have waited longest among those due to run
   * (queued and past any back-off, held by {@code @debounce} past their time, or running on a
   * server whose lease lapsed) and starts the next attempt of each on this server, under a lease
   * that the journal renews while this process lives; oldest first, empty when none is due. No two
   * servers take the same delivery. Only for a {@linkplain #shared() shared} journal.
   */
  default List<Started> claim(int max) {
    throw new UnsupportedOperationException("only a shared journal hands deliveries out");
  }

  /** {@link #claim(int)} of one delivery. */
  default Optional<Started> claim() {
    return claim(1).stream().findFirst();
  }

  /**
   * Takes back what a server that stopped or died left unfinished: deliveries still {@code running}
   * become {@code queued} (their last attempt is recorded as interrupted). Returns every queued
   * delivery, oldest first. Only one server may call this on one journal at a time.
   */
  List<DeliverySummary> recover();

  /**
   * A delivery {@code @debounce} holds: when it runs unless a later one replaces it, and the one it
   * replaced, if any.
   */
  record Held(Instant due, @Nullable String superseded) {}

  /**
   * Records {@code delivery} as {@code debounced}, held until {@code wait} after it arrived, or
   * {@code max} after the first delivery of its burst, whichever comes first. The delivery of the
   * same handler and {@code key} held until now, if any, becomes {@code superseded} by it, and so
   * do those that one had replaced: they all point at the one that will run. Synced, as {@link
   * #enqueue} is.
   */
  default Held hold(NewDelivery delivery, String key, Duration wait, Duration max) {
    throw new JournalException("@debounce needs the journal: " + location());
  }

  /**
   * Queues a held delivery whose time came, if it is still held (not replaced, nor replayed);
   * whether it was.
   */
  default boolean release(String id) {
    return false;
  }

  /** A held delivery, and when it is due. */
  record Pending(String id, String handler, Instant due) {}

  /** The deliveries held now, soonest due first: what a new server schedules again. */
  default List<Pending> held() {
    return List.of();
  }

  /** One delivery by its id, or by a prefix of it that matches only one. */
  Optional<DeliveryRecord> find(String id);

  /** Deliveries newest first. */
  List<DeliverySummary> list(Query query);

  /** Where the journal is, for messages. */
  String location();

  @Override
  void close();

  /** A journal that records nothing ({@code serve --no-journal}). */
  static Journal none() {
    return NoJournal.INSTANCE;
  }
}
