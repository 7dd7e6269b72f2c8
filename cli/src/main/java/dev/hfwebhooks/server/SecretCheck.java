package dev.hfwebhooks.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jspecify.annotations.Nullable;

/**
 * Checks the webhook secret the Hub sends, in the {@code X-Webhook-Secret} header or the {@code
 * secret} query parameter.
 *
 * <p>Both sides are hashed before comparing so the comparison takes the same time whatever the
 * guess, its length included (huggingface_hub compares with {@code !=}, which leaks both).
 */
final class SecretCheck {
  static final String HEADER = "X-Webhook-Secret";
  static final String QUERY_PARAM = "secret";

  private final byte @Nullable [] expected;

  SecretCheck(@Nullable String secret) {
    this.expected = secret == null ? null : sha256(secret);
  }

  /** Passes when no secret is configured, or when {@code given} matches it. */
  void check(@Nullable String given) throws HttpError {
    if (expected == null) {
      return;
    }
    if (given == null) {
      throw HttpError.secretMissing();
    }
    if (!MessageDigest.isEqual(expected, sha256(given))) {
      throw HttpError.secretWrong();
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
