package dev.hfwebhooks.handler;

import java.time.Duration;
import java.util.Optional;

/**
 * Runs one delivery. Every way a delivery comes in ({@code serve}, {@code test}) goes through this
 * interface, so a handler behaves the same under each.
 *
 * <p>Implementations never throw for a handler's own failure: a crash, a non-zero exit or a timeout
 * is an {@link Outcome}. They must be safe to call from many threads at once.
 */
public interface Handler extends AutoCloseable {
  HandlerFile file();

  Outcome handle(Delivery delivery);

  default String name() {
    return file().name();
  }

  /**
   * What makes this handler unable to run as the file stands (a JavaScript syntax error, with its
   * line and column), or empty when it looks ready. Checked without running the handler.
   */
  default Optional<String> problem() {
    return Optional.empty();
  }

  /**
   * The secret this handler's own code requires instead of the server's (a Python file's {@code
   * WebhooksServer(webhook_secret=...)}), or empty: the server's applies. Waits at most {@code
   * wait} for the handler's code to load.
   *
   * @throws SecretUnknown when its code has not loaded (still importing, or failing to): the
   *     request must be refused, since it cannot be authenticated
   */
  default Optional<String> secret(Duration wait) throws SecretUnknown {
    return Optional.empty();
  }

  /** Why a handler cannot tell its secret yet. */
  final class SecretUnknown extends Exception {
    public SecretUnknown(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Frees what the handler keeps between deliveries (warm contexts); deliveries in flight finish.
   */
  @Override
  default void close() {}
}
