package dev.hfwebhooks.handler;

import dev.hfwebhooks.payload.WebhookPayload;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
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
   * places (fewer pages written per delivery).
   */
  public static String newId() {
    long millis = System.currentTimeMillis();
    long high = (millis << 16) | 0x7000L | (RANDOM.nextLong() & 0x0fffL);
    long low = (RANDOM.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  private static final SecureRandom RANDOM = new SecureRandom();
}
