package dev.hfwebhooks.handler;

import java.time.Duration;
import java.util.List;

/** The one path a delivery takes into a handler, whoever asked: timed, and never throwing. */
public final class DeliveryRunner {
  private DeliveryRunner() {}

  public static Outcome run(Handler handler, Delivery delivery) {
    long start = System.nanoTime();
    Outcome outcome;
    try {
      outcome = handler.handle(delivery);
    } catch (RuntimeException e) {
      // A bug of ours, not the handler's: still one answer, never a dropped connection.
      outcome =
          Outcome.failed("internal error running handler " + handler.name() + ": " + e, List.of());
    }
    return outcome.withDuration(Duration.ofNanos(System.nanoTime() - start));
  }
}
