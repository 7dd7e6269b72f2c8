package dev.hfwebhooks.hub;

import dev.hfwebhooks.handler.Watch;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A webhook as it should be on the Hub: one per handler that declares {@code @watch}, posting to
 * {@code BASE/webhooks/<handler>}.
 *
 * @param handler the handler's name
 * @param file the handler's file, named when the Hub refuses what it watches
 * @param url where the Hub posts
 * @param watch what it watches, and the domains
 * @param secret the secret the Hub should send; {@code ""} for none; null to leave whatever secret
 *     the Hub has as it is (so a shell without WEBHOOK_SECRET never strips the secrets off)
 */
public record WebhookSpec(
    String handler, Path file, String url, Watch watch, @Nullable String secret) {

  /** Whether the spec says what the secret should be, rather than leaving the Hub's. */
  public boolean managesSecret() {
    return secret != null;
  }

  /** The secret to set, or null for none. */
  public @Nullable String secretValue() {
    return secret == null || secret.isEmpty() ? null : secret;
  }

  /** The spec of handler {@code name} served under {@code baseUrl}. */
  public static WebhookSpec of(
      String baseUrl, String name, Path file, Watch watch, @Nullable String secret) {
    return new WebhookSpec(name, file, baseUrl + "/webhooks/" + name, watch, secret);
  }

  @Override
  public String toString() {
    // Records print every field; the secret must never reach a log.
    return "WebhookSpec[handler=%s, url=%s, watch=%s, secret=%s]"
        .formatted(
            handler,
            url,
            watch.describe(),
            secret == null ? "as is" : secret.isEmpty() ? "none" : "set");
  }
}
