package dev.hfwebhooks.journal;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One line of the journal's list: a delivery and how its latest attempt ended.
 *
 * @param id the delivery id
 * @param received when it arrived
 * @param handler the handler's name
 * @param status where it stands
 * @param attempts how many attempts started so far
 * @param exitStatus the latest attempt's exit status (process handlers), or null
 * @param durationMs the latest attempt's duration, or null before any ended
 * @param error the latest attempt's error line, or null
 */
public record DeliverySummary(
    String id,
    Instant received,
    String handler,
    Status status,
    int attempts,
    @Nullable Integer exitStatus,
    @Nullable Long durationMs,
    @Nullable String error) {

  /**
   * Why a delivery that did not run stands where it does (the filter that failed), for lists; null
   * for the others, whose error line is private (it may quote the handler's output).
   */
  public @Nullable String note() {
    return status == Status.FILTERED || status == Status.DEBOUNCED || status == Status.SUPERSEDED
        ? error
        : null;
  }

  /**
   * What {@code replay} says before it runs a delivery its handler did not run when it arrived, or
   * null when it ran.
   */
  public @Nullable String replayNote() {
    return switch (status) {
      case FILTERED ->
          "it was filtered when it arrived (%s); replay runs it anyway".formatted(error);
      case SUPERSEDED -> "it was %s; replay runs it anyway".formatted(error);
      case DEBOUNCED -> "it is %s; replay runs it now, and then not again".formatted(error);
      default -> null;
    };
  }
}
