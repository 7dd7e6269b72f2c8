package dev.hfwebhooks.flow;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * {@code @concurrency N [key=PATH]}: at most {@code limit} runs of the handler at once per value of
 * {@code key} (per handler without one); the others wait their turn, oldest first.
 *
 * @param limit how many runs at once per key
 * @param key where in the payload the key is, or null for one lane per handler
 * @param line the line of the handler file it is on
 */
public record Concurrency(int limit, @Nullable PayloadPath key, int line) {
  /** More at once than any machine runs handlers side by side: a typo, surely. */
  static final int MAX = 1000;

  public static final String EXAMPLE = "@concurrency 1 key=repo.name";

  /**
   * Reads the words after {@code @concurrency}.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Concurrency parse(String text, int line) {
    String[] words = text.strip().split("\\s+", -1);
    if (words[0].isEmpty()) {
      throw new IllegalArgumentException(
          "@concurrency needs how many runs at once, e.g. " + EXAMPLE);
    }
    int limit;
    try {
      limit = Integer.parseInt(words[0]);
    } catch (NumberFormatException e) {
      limit = 0;
    }
    if (limit < 1 || limit > MAX) {
      throw new IllegalArgumentException(
          "\"%s\" is not a number of runs from 1 to %d, e.g. %s".formatted(words[0], MAX, EXAMPLE));
    }
    PayloadPath key = null;
    for (int i = 1; i < words.length; i++) {
      if (words[i].startsWith("key=") && key == null) {
        key = PayloadPath.parse(words[i].substring("key=".length()));
      } else {
        throw new IllegalArgumentException(
            "\"%s\": @concurrency takes a number and key=PATH only, e.g. %s"
                .formatted(words[i], EXAMPLE));
      }
    }
    return new Concurrency(limit, key, line);
  }

  /** The lane in {@code lanes} of a delivery of handler {@code handler} with {@code payload}. */
  public Lanes.Lane lane(Lanes lanes, String handler, JsonNode payload) {
    if (key == null) {
      return lanes.lane(handler, limit, "handler " + handler);
    }
    String value = String.join(",", key.values(payload));
    return lanes.lane(handler + "\u0000" + value, limit, key.text() + "=" + value);
  }

  /** The directive as written. */
  public String describe() {
    return "@concurrency " + limit + (key == null ? "" : " key=" + key.text());
  }
}
