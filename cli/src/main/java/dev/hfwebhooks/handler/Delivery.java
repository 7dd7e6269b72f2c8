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
   * A random (version 4) UUID. Drawn from {@link ThreadLocalRandom} rather than {@link
   * UUID#randomUUID()}, whose shared SecureRandom serialises every request: an id must be unique,
   * not unguessable (it grants nothing).
   */
  public static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L; // version 4
    long low = (random.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48); // IETF variant
    return new UUID(high, low).toString();
  }
}
