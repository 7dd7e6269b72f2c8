package dev.hfwebhooks.journal;

import java.util.Locale;

/** What started an attempt: the request itself, a retry, recovery after a restart, or replay. */
public enum Trigger {
  RECEIVED,
  RETRY,
  RECOVERY,
  REPLAY;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Trigger parse(String label) {
    return valueOf(label.toUpperCase(Locale.ROOT));
  }
}
