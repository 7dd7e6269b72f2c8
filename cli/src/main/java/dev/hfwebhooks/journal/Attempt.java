package dev.hfwebhooks.journal;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One run of a delivery through its handler.
 *
 * @param number 1 for the first attempt
 * @param trigger what started it
 * @param started when it started
 * @param status {@code running} while it runs (or if the server died during it), then its result
 * @param exitStatus the process's exit status, or null
 * @param durationMs how long it ran, or null while running
 * @param error its error line, or null
 * @param server the server that ran it, in a journal several servers share; null otherwise
 */
public record Attempt(
    int number,
    Trigger trigger,
    Instant started,
    Status status,
    @Nullable Integer exitStatus,
    @Nullable Long durationMs,
    @Nullable String error,
    @Nullable String server) {

  /** An attempt in a journal only one server writes, which has no need to name it. */
  public Attempt(
      int number,
      Trigger trigger,
      Instant started,
      Status status,
      @Nullable Integer exitStatus,
      @Nullable Long durationMs,
      @Nullable String error) {
    this(number, trigger, started, status, exitStatus, durationMs, error, null);
  }
}
