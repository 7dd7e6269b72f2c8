package dev.hfwebhooks.command;

import java.time.Duration;

/** The timeouts commands take in whole seconds, checked one way with one message. */
final class Seconds {
  private Seconds() {}

  /** {@code seconds} as a duration; zero or less is a usage error naming {@code option}. */
  static Duration positive(String option, int seconds) {
    if (seconds <= 0) {
      throw UserError.usage(option + " must be at least 1 second, not " + seconds);
    }
    return Duration.ofSeconds(seconds);
  }
}
