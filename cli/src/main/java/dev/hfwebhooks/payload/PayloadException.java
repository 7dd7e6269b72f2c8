package dev.hfwebhooks.payload;

import java.util.List;

/**
 * A body that is not a usable payload: either not JSON at all ({@link #problems()} empty), or JSON
 * that is not a valid v3 payload (one entry per bad field).
 */
public final class PayloadException extends Exception {
  private final List<Problem> problems;

  private PayloadException(String message, List<Problem> problems) {
    super(message);
    this.problems = List.copyOf(problems);
  }

  static PayloadException notJson(String message) {
    return new PayloadException(message, List.of());
  }

  static PayloadException invalid(List<Problem> problems) {
    StringBuilder message = new StringBuilder("Invalid webhook payload: ");
    for (int i = 0; i < problems.size(); i++) {
      message.append(i == 0 ? "" : "; ").append(problems.get(i));
    }
    return new PayloadException(message.toString(), problems);
  }

  /** True when the body parsed as JSON but is not a valid payload (HTTP 422, not 400). */
  public boolean isInvalidPayload() {
    return !problems.isEmpty();
  }

  public List<Problem> problems() {
    return problems;
  }

  /** One bad field: its dotted path (e.g. {@code event.action}) and what is wrong with it. */
  public record Problem(String field, String message) {
    @Override
    public String toString() {
      return field + " " + message;
    }
  }
}
