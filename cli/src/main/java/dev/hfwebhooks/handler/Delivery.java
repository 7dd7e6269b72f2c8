package dev.hfwebhooks.handler;

import dev.hfwebhooks.payload.WebhookPayload;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One event handed to one handler.
 *
 * @param id unique per delivery; handlers see it as {@code WEBHOOK_DELIVERY_ID}
 * @param body the request body exactly as received (process handlers read it on stdin)
 * @param payload the same body, parsed and validated
 * @param headers the request headers, without the secret
 * @param timeout how long the handler may run before it is stopped
 * @param log receives each line the handler writes to stderr or the console, as it is written
 */
@SuppressWarnings("ArrayRecordComponent") // bytes carried, never compared by equals
public record Delivery(
    String id,
    byte[] body,
    WebhookPayload payload,
    Map<String, String> headers,
    Duration timeout,
    Consumer<String> log) {

  public Delivery {
    headers = Map.copyOf(headers);
  }

  /**
   * A new id: a version 7 UUID, which starts with the time in milliseconds, so that ids sort in the
   * order deliveries arrived and the journal's index on them grows at its end instead of at random
   * places (fewer pages written per delivery). The random bits come from {@link ThreadLocalRandom}:
   * a shared SecureRandom would serialise every request, and an id must be unique, not unguessable
   * (it grants nothing).
   */
  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long millis = System.currentTimeMillis();
    long high = (millis << 16) | 0x7000L | (random.nextLong() & 0x0fffL);
    long low = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }
}
