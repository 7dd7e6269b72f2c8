package dev.hfwebhooks.journal;

import dev.hfwebhooks.handler.Outcome;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How an attempt ended, as the journal keeps it: output and stderr cut to their last {@value
 * #MAX_TAIL} characters, so one chatty handler cannot grow the journal without bound.
 *
 * @param status succeeded, failed or timed out
 * @param exitStatus the process's exit status, or null
 * @param durationMs how long it ran
 * @param error the error line, or null on success
 * @param output the tail of stdout or of the returned value, or null
 * @param stderr the tail of stderr or the console, or null
 */
public record AttemptResult(
    Status status,
    @Nullable Integer exitStatus,
    long durationMs,
    @Nullable String error,
    @Nullable String output,
    @Nullable String stderr) {
  public static final int MAX_TAIL = 16 * 1024;

  public AttemptResult {
    output = tail(output);
    stderr = tail(stderr);
  }

  public static AttemptResult of(Outcome outcome) {
    Status status =
        switch (outcome.result()) {
          case SUCCEEDED -> Status.SUCCEEDED;
          case FAILED -> Status.FAILED;
          case TIMED_OUT -> Status.TIMED_OUT;
        };
    String output = outcome.output();
    if (output == null && outcome.answer() != null) {
      output = outcome.answer().body();
    }
    List<String> log = outcome.log();
    return new AttemptResult(
        status,
        outcome.exitStatus(),
        outcome.duration().toMillis(),
        outcome.error(),
        output == null || output.isEmpty() ? null : output,
        log.isEmpty() ? null : String.join("\n", log));
  }

  private static @Nullable String tail(@Nullable String text) {
    if (text == null || text.length() <= MAX_TAIL) {
      return text;
    }
    return "[cut: last " + MAX_TAIL + " characters]\n" + text.substring(text.length() - MAX_TAIL);
  }
}
