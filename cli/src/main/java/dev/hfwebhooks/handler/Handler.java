package dev.hfwebhooks.handler;

/**
 * Runs one delivery. Every way a delivery comes in ({@code serve}, {@code test}) goes through this
 * interface, so a handler behaves the same under each.
 *
 * <p>Implementations never throw for a handler's own failure: a crash, a non-zero exit or a timeout
 * is an {@link Outcome}. They must be safe to call from many threads at once.
 */
public interface Handler {
  HandlerFile file();

  Outcome handle(Delivery delivery);

  default String name() {
    return file().name();
  }
}
