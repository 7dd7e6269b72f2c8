package dev.hfwebhooks.journal.sqlite;

import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DeliveryBusy;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal.Started;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import dev.hfwebhooks.journal.sqlite.Entry.Logged;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The writes a delivery makes on its way through serve (accepted, queued, started, finished), as
 * records appended to the {@link JournalLog} on the delivery's own thread; the {@link Writer} moves
 * them into the database in the background. A transaction per delivery, and the thread hand-over to
 * wait for it, cost more than the rest of a JavaScript delivery.
 */
final class LoggedWrites {
  private final Path file;
  private final Writer writer;
  private final Reader reader;

  /** Locks for starting attempts, by delivery id: see {@link #startAndRead}. */
  private final Object[] startLocks = Stream.generate(Object::new).limit(64).toArray();

  /**
   * When each attempt logged by a start, and not ended yet, started ("id number"): its end carries
   * it, to find the attempt should another process have taken its number meanwhile.
   */
  private final Map<String, Instant> loggedStarts = new ConcurrentHashMap<>();

  LoggedWrites(Path file, Writer writer, Reader reader) {
    this.file = file;
    this.writer = writer;
    this.reader = reader;
  }

  /** Waits until the database has what the log holds so far: a read then sees its writes. */
  void catchUp() {
    writer.catchUp();
  }

  /** Logs a delivery as queued, and syncs the log: what {@code --async} acknowledges. */
  void enqueue(NewDelivery delivery) {
    writer.sync(writer.append(new LogRecord.Received(delivery, false)));
  }

  /** Logs a delivery whose first attempt starts now. */
  int acceptRunning(NewDelivery delivery) {
    writer.append(new LogRecord.Received(delivery, true));
    return 1;
  }

  /**
   * No commit at all: the start is logged like the rest of the delivery, and the delivery is read
   * from the log's record when the database does not have it yet (a worker taking a delivery just
   * acknowledged), or from the database once it has every logged write for it. A commit per attempt
   * was a third of the server's CPU under {@code --async} load.
   */
  Started startAndRead(String id, Trigger trigger) {
    return start(id, trigger, false);
  }

  /**
   * The start of a replay (the console's), refused with {@link DeliveryBusy} while this server has
   * the delivery queued or running: checked under the lock every start of it takes, so that the
   * queue cannot start it in between.
   */
  Started startReplay(String id) {
    return start(id, Trigger.REPLAY, true);
  }

  private Started start(String id, Trigger trigger, boolean unlessBusy) {
    // Waited for outside the lock, so that a slow writer (the database locked by another program)
    // holds up only this start, not others that share its lock; startLogged checks again.
    awaitApplied(id);
    // One start of a delivery at a time in this process: numbering reads, then appends.
    synchronized (startLocks[Math.floorMod(id.hashCode(), startLocks.length)]) {
      return startLogged(id, trigger, unlessBusy);
    }
  }

  /** Logs how an attempt ended, with when it started if its start was logged. */
  void finish(String id, int number, AttemptResult result, Status next) {
    Instant started = loggedStarts.remove(id + " " + number);
    writer.append(new LogRecord.Finished(id, number, result, next, started));
  }

  /**
   * Waits until the database has every logged write for delivery {@code id}, unless the latest is
   * its arrival as queued, which {@link #startLogged} reads from the log's record.
   */
  private void awaitApplied(String id) {
    Logged pending = writer.unapplied(id);
    if (pending != null && queuedArrival(pending) == null && !writer.applied(pending)) {
      writer.awaitAll(); // the database has every write for it after this
    }
  }

  /** The delivery {@code pending} holds when it is a delivery's arrival as queued, else null. */
  private static @Nullable NewDelivery queuedArrival(@Nullable Logged pending) {
    return pending != null
            && pending.record() instanceof LogRecord.Received received
            && !received.running()
        ? received.delivery()
        : null;
  }

  private Started startLogged(String id, Trigger trigger, boolean unlessBusy) {
    DeliveryRecord record;
    NewDelivery d = queuedArrival(writer.unapplied(id));
    if (d != null) {
      // Nothing was written for it since it arrived queued (a start of it would have been, and
      // starts of it take this lock), so this is where it stands.
      record =
          new DeliveryRecord(
              new DeliverySummary(
                  d.id(),
                  d.received().truncatedTo(ChronoUnit.MILLIS),
                  d.handler(),
                  Status.QUEUED,
                  0,
                  null,
                  null,
                  null),
              d.body(),
              d.headers(),
              null,
              null,
              List.of());
    } else {
      awaitApplied(id); // done before the lock, unless another start of it came in between
      record =
          reader.read(sql -> RowReads.byId(sql, id)).orElseThrow(() -> Errors.noDelivery(file, id));
    }
    Status status = record.summary().status();
    if (unlessBusy && (status == Status.QUEUED || status == Status.RUNNING)) {
      throw new DeliveryBusy(id, status, "this server");
    }
    int number = record.summary().attempts() + 1;
    Instant started = Instant.now();
    writer.append(new LogRecord.Started(id, number, trigger, started));
    loggedStarts.put(id + " " + number, started);
    DeliverySummary was = record.summary();
    List<Attempt> attempts = new ArrayList<>(record.attempts());
    attempts.add(new Attempt(number, trigger, started, Status.RUNNING, null, null, null));
    return new Started(
        number,
        new DeliveryRecord(
            new DeliverySummary(
                was.id(), was.received(), was.handler(), Status.RUNNING, number, null, null, null),
            record.body(),
            record.headers(),
            record.output(),
            record.stderr(),
            attempts));
  }
}
