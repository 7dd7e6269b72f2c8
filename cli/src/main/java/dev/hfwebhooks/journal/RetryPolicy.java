package dev.hfwebhooks.journal;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * When a failed or timed-out attempt runs again: up to {@code retries} more times, after an
 * exponential backoff ({@code base}, twice that, four times...) capped at {@code cap}, with jitter
 * so that deliveries that failed together (a service down) do not all come back at once.
 *
 * @param retries attempts after the first; 0 never retries
 * @param base the backoff before the first retry, before jitter
 * @param cap the longest backoff
 */
public record RetryPolicy(int retries, Duration base, Duration cap) {
  public static final Duration DEFAULT_BASE = Duration.ofSeconds(2);
  public static final Duration DEFAULT_CAP = Duration.ofMinutes(10);

  public RetryPolicy {
    if (retries < 0) {
      throw new IllegalArgumentException("retries must be 0 or more, not " + retries);
    }
    if (base.isNegative() || cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("the retry delay must be between 0 and " + cap);
    }
  }

  public static RetryPolicy of(int retries, Duration base) {
    return new RetryPolicy(retries, base, base.compareTo(DEFAULT_CAP) > 0 ? base : DEFAULT_CAP);
  }

  /** Whether a delivery whose attempt {@code attempt} (1 for the first) failed runs again. */
  public boolean retriesAfter(int attempt) {
    return attempt <= retries;
  }

  /**
   * The wait after attempt {@code attempt} failed: half the exponential backoff for sure, the other
   * half at random ("equal jitter"), so it never collapses to zero.
   */
  public Duration delayAfter(int attempt, RandomGenerator random) {
    long millis = base.toMillis();
    for (int i = 1; i < attempt && millis < cap.toMillis(); i++) {
      millis *= 2;
    }
    millis = Math.min(millis, cap.toMillis());
    long half = millis / 2;
    return Duration.ofMillis(millis - half + (half == 0 ? 0 : random.nextLong(half + 1)));
  }
}
