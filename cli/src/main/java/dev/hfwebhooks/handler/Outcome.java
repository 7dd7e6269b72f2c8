package dev.hfwebhooks.handler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.payload.Json;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How a delivery ended.
 *
 * @param result succeeded, failed or timed out
 * @param answer what the handler answered (JSON, or plain text), for a success
 * @param error one line saying what went wrong, for a failure or timeout; cut as a log line is
 *     ({@link LogLines}), since a handler's own message (a thrown error's) may be of any size and
 *     goes into the answer, the server's log and the journal
 * @param log the last lines the handler wrote to stderr or the console
 * @param duration wall time of the run
 * @param exitStatus a process handler's exit status, or null (JavaScript, or it never started)
 * @param output what the handler printed on stdout or returned, or null when it gave nothing
 */
public record Outcome(
    Result result,
    @Nullable Answer answer,
    @Nullable String error,
    List<String> log,
    Duration duration,
    @Nullable Integer exitStatus,
    @Nullable String output) {

  /** The three ways a run ends, each with the HTTP status the server answers. */
  public enum Result {
    SUCCEEDED(200),
    FAILED(500),
    TIMED_OUT(504);

    private final int status;

    Result(int status) {
      this.status = status;
    }

    public int httpStatus() {
      return status;
    }
  }

  /** An answer body: JSON passes through as JSON, anything else is text. */
  public record Answer(String body, boolean json) {
    /**
     * Reads what a handler printed or returned. Nothing at all gives the documented default, {@code
     * {"status": "ok", "delivery": ID}}, so the Hub always gets a JSON answer.
     */
    public static Answer of(@Nullable String output, String deliveryId) {
      return output == null || output.isBlank() ? ok(deliveryId) : parse(output);
    }

    /**
     * JSON text known to be valid (JavaScript's {@code JSON.stringify} wrote it), or null for
     * {@code undefined}: taken as it is, without parsing it again.
     */
    public static Answer ofJson(@Nullable String json, String deliveryId) {
      return json == null ? ok(deliveryId) : new Answer(json, true);
    }

    private static Answer ok(String deliveryId) {
      return new Answer(
          Json.write(Json.object().put("status", "ok").put("delivery", deliveryId)), true);
    }

    private static Answer parse(String output) {
      return Json.tryParse(output)
          .map(JsonNode::toString)
          .map(json -> new Answer(json, true))
          .orElseGet(() -> new Answer(output, false));
    }
  }

  public Outcome {
    error = error == null ? null : LogLines.cut(error);
    log = List.copyOf(log);
  }

  public static Outcome succeeded(Answer answer, List<String> log) {
    return new Outcome(Result.SUCCEEDED, answer, null, log, Duration.ZERO, null, null);
  }

  public static Outcome failed(String error, List<String> log) {
    return new Outcome(Result.FAILED, null, error, log, Duration.ZERO, null, null);
  }

  public static Outcome timedOut(String error, List<String> log) {
    return new Outcome(Result.TIMED_OUT, null, error, log, Duration.ZERO, null, null);
  }

  /**
   * The timeout every kind of handler reports: {@code NAME timed out after 30 s and was stopped}.
   */
  public static Outcome timedOut(String handler, Duration timeout, List<String> log) {
    return timedOut(
        "%s timed out after %s and was stopped".formatted(handler, seconds(timeout)), log);
  }

  /** {@code 30 s}, {@code 2.5 s}: how durations read in messages. */
  public static String seconds(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? (millis / 1000) + " s" : (millis / 1000.0) + " s";
  }

  public Outcome withDuration(Duration duration) {
    return new Outcome(result, answer, error, log, duration, exitStatus, output);
  }

  /** The same outcome with what a process left: its exit status (null if none) and stdout. */
  public Outcome withProcess(@Nullable Integer exitStatus, @Nullable String output) {
    return new Outcome(result, answer, error, log, duration, exitStatus, output);
  }

  /** The same outcome with what a handler returned or printed, kept for the journal. */
  public Outcome withOutput(@Nullable String output) {
    return new Outcome(result, answer, error, log, duration, exitStatus, output);
  }

  public boolean succeeded() {
    return result == Result.SUCCEEDED;
  }
}
