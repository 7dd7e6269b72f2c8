package dev.hfwebhooks.journal;

import dev.hfwebhooks.handler.Delivery;
import dev.hfwebhooks.handler.DeliveryRunner;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.payload.PayloadException;
import dev.hfwebhooks.payload.PayloadParser;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Runs a delivery from the journal through its handler as serve ran it when it arrived: the same
 * id, body and headers, through {@link DeliveryRunner}. Used by the queue of {@code serve --async}
 * and by {@code replay}.
 */
public final class RecordedRun {
  private RecordedRun() {}

  /** Runs {@code record} through the handler of its name in {@code handlers} now. */
  public static Outcome run(
      Handlers handlers, DeliveryRecord record, Duration timeout, Consumer<String> log) {
    return handlers
        .find(record.handler())
        .map(handler -> run(handler, record, timeout, log))
        .orElseGet(
            () ->
                Outcome.failed(
                    "no handler named \"%s\" in %s any more"
                        .formatted(record.handler(), handlers.scan().dir()),
                    List.of()));
  }

  /**
   * A replay that ran.
   *
   * @param attempt the number of the attempt it was recorded as
   * @param outcome what the handler did
   * @param result the outcome as the journal recorded it
   */
  public record Replay(int attempt, Outcome outcome, AttemptResult result) {}

  /**
   * Runs {@code record} through {@code handler} again and records it as a new attempt: what {@code
   * hf-webhooks replay} and the console's replay button both do. {@code started} hears the
   * attempt's number before the handler runs.
   */
  public static Replay replay(
      Journal journal,
      Handler handler,
      DeliveryRecord record,
      Duration timeout,
      IntConsumer started,
      Consumer<String> log) {
    int number = journal.startReplay(record.id());
    started.accept(number);
    Outcome outcome = run(handler, record, timeout, log);
    AttemptResult result = AttemptResult.of(outcome);
    journal.finish(record.id(), number, result, result.status());
    return new Replay(number, outcome, result);
  }

  /** Runs {@code record} through {@code handler}. */
  public static Outcome run(
      Handler handler, DeliveryRecord record, Duration timeout, Consumer<String> log) {
    Delivery delivery;
    try {
      delivery =
          new Delivery(
              record.id(),
              record.body(),
              PayloadParser.parse(record.body()),
              record.headers(),
              timeout,
              log);
    } catch (PayloadException e) {
      // Only a journal written by another version, or edited by hand, can hold one.
      return Outcome.failed(
          "the recorded body is not a valid payload: " + e.getMessage(), List.of());
    }
    return DeliveryRunner.run(handler, delivery);
  }
}
