package dev.hfwebhooks.server;

import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How the server runs.
 *
 * @param host the address to listen on
 * @param port the port, 0 for any free one
 * @param secret the webhook secret, or null when none is set (every request is then accepted)
 * @param timeout how long one delivery may run
 * @param maxBodyBytes the largest request body accepted
 * @param publicUrl the public base URL (a Space's, or a tunnel's), or null when only local
 * @param ui the user's own page served at {@code /} ({@code --ui}), or null for {@code index.html}
 *     in the handlers folder when there is one, else the built-in console
 */
public record ServerConfig(
    String host,
    int port,
    @Nullable String secret,
    Duration timeout,
    long maxBodyBytes,
    @Nullable String publicUrl,
    @Nullable Path ui) {

  /** A server with the default page. */
  public ServerConfig(
      String host,
      int port,
      @Nullable String secret,
      Duration timeout,
      long maxBodyBytes,
      @Nullable String publicUrl) {
    this(host, port, secret, timeout, maxBodyBytes, publicUrl, null);
  }

  /**
   * How long a stopping server waits for running deliveries at most: the time a container runtime
   * (Docker, a Space) gives between SIGTERM and SIGKILL.
   */
  public static final Duration MAX_DRAIN = Duration.ofSeconds(10);

  public ServerConfig {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, not " + port);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    if (maxBodyBytes <= 0) {
      throw new IllegalArgumentException("max body must be positive");
    }
    // An empty secret is what an unset variable expands to; treat it as none rather than
    // accepting only requests that carry an empty header.
    secret = secret == null || secret.isEmpty() ? null : secret;
    publicUrl = normalizedUrl(publicUrl);
  }

  /** How long running deliveries may finish when the server stops. */
  public Duration drainGrace() {
    return timeout.compareTo(MAX_DRAIN) < 0 ? timeout : MAX_DRAIN;
  }

  public boolean hasSecret() {
    return secret != null;
  }

  /**
   * The public URL of a Hugging Face Space, from the {@code SPACE_HOST} variable the Space sets, or
   * null elsewhere.
   */
  public static @Nullable String spacePublicUrl(@Nullable String spaceHost) {
    return spaceHost == null || spaceHost.isBlank() ? null : "https://" + spaceHost.strip();
  }

  @Override
  public String toString() {
    // Records print every field; the secret must never reach a log.
    return "ServerConfig[host=%s, port=%d, secret=%s, timeout=%s, maxBodyBytes=%d, publicUrl=%s, ui=%s]"
        .formatted(host, port, hasSecret() ? "set" : "none", timeout, maxBodyBytes, publicUrl, ui);
  }

  /** A base URL without its trailing slash (routes start with one), or null for none. */
  static @Nullable String normalizedUrl(@Nullable String url) {
    if (url == null || url.isBlank()) {
      return null;
    }
    String stripped = url.strip();
    return stripped.endsWith("/") ? stripped.substring(0, stripped.length() - 1) : stripped;
  }
}
