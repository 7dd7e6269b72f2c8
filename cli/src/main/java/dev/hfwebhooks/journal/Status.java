package dev.hfwebhooks.journal;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Where a delivery stands; the journal stores the lower-case label. */
public enum Status {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  TIMED_OUT,
  /** Failed one of its handler's {@code @filter} lines, so the handler did not run. */
  FILTERED,
  /** Held by its handler's {@code @debounce} until its window ends, then queued. */
  DEBOUNCED,
  /** Held by {@code @debounce}, then replaced by a later delivery of its burst, which ran. */
  SUPERSEDED;

  /** The name users see and type: {@code queued}, {@code timed_out}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the delivery is done with: no attempt will follow unless it is replayed. */
  public boolean isFinal() {
    return this != QUEUED && this != RUNNING && this != DEBOUNCED;
  }

  /** Reads a label; an unknown one names the valid ones. */
  public static Status parse(String label) {
    for (Status status : values()) {
      if (status.label().equals(label.strip().toLowerCase(Locale.ROOT).replace('-', '_'))) {
        return status;
      }
    }
    throw new IllegalArgumentException(
        "unknown status \"%s\": use one of %s".formatted(label, labels()));
  }

  /** Every label, comma-separated, for messages. */
  public static String labels() {
    return Arrays.stream(values()).map(Status::label).collect(Collectors.joining(", "));
  }
}
