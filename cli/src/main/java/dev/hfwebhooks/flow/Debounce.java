package dev.hfwebhooks.flow;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * {@code @debounce DURATION [key=PATH] [max=DURATION]}: deliveries with the same key that come
 * within {@code window} of each other run once, with the latest, {@code window} after the last of
 * them or {@code max} after the first, whichever comes first.
 *
 * @param window how long after a delivery the handler runs, unless another comes first
 * @param key where in the payload the key is ({@code repo.name} unless given)
 * @param max the longest a burst is held, from its first delivery, or null for no limit
 * @param line the line of the handler file it is on
 */
public record Debounce(Duration window, PayloadPath key, @Nullable Duration max, int line) {
  public static final String EXAMPLE = "@debounce 30s key=repo.name max=10m";

  /** As long as a burst may last when no {@code max} is given: practically none. */
  private static final Duration UNBOUNDED = Duration.ofDays(365);

  private static final Pattern DURATION =
      Pattern.compile("(\\d{1,9})(ms|s|m|h)?", Pattern.CASE_INSENSITIVE);

  /**
   * Reads the words after {@code @debounce}.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Debounce parse(String text, int line) {
    String[] words = text.strip().split("\\s+");
    if (words[0].isEmpty()) {
      throw new IllegalArgumentException("@debounce needs how long to wait, e.g. " + EXAMPLE);
    }
    Duration window = duration(words[0]);
    PayloadPath key = null;
    Duration max = null;
    for (int i = 1; i < words.length; i++) {
      if (words[i].startsWith("key=") && key == null) {
        key = PayloadPath.parse(words[i].substring("key=".length()));
      } else if (words[i].startsWith("max=") && max == null) {
        max = duration(words[i].substring("max=".length()));
      } else {
        throw new IllegalArgumentException(
            "\"%s\": @debounce takes a duration, key=PATH and max=DURATION only, e.g. %s"
                .formatted(words[i], EXAMPLE));
      }
    }
    if (max != null && max.compareTo(window) < 0) {
      throw new IllegalArgumentException(
          "max=%s is shorter than the wait of %s: make it longer, or leave it out"
              .formatted(maxText(words), words[0]));
    }
    return new Debounce(window, key != null ? key : PayloadPath.parse("repo.name"), max, line);
  }

  private static String maxText(String[] words) {
    for (String word : words) {
      if (word.startsWith("max=")) {
        return word.substring("max=".length());
      }
    }
    return "";
  }

  /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}; a bare number is seconds. */
  static Duration duration(String text) {
    Matcher m = DURATION.matcher(text);
    Duration duration = null;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
      duration =
          switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
          };
    }
    if (duration == null || duration.isZero()) {
      throw new IllegalArgumentException(
          "\"%s\" is not a duration: write it like 500ms, 30s, 10m or 1h".formatted(text));
    }
    return duration;
  }

  /** The key of a delivery with {@code payload}. */
  public String keyOf(JsonNode payload) {
    return String.join(",", key.values(payload));
  }

  /** The longest a burst is held. */
  public Duration maxOrUnbounded() {
    return max != null ? max : UNBOUNDED;
  }

  /** The directive as written (normalized). */
  public String describe() {
    return "@debounce %s key=%s%s"
        .formatted(text(window), key.text(), max == null ? "" : " max=" + text(max));
  }

  /** A duration as a directive writes it: {@code 90s}, {@code 10m}, {@code 500ms}. */
  public static String text(Duration d) {
    if (d.toMillis() % 3_600_000 == 0) {
      return d.toHours() + "h";
    }
    if (d.toMillis() % 60_000 == 0) {
      return d.toMinutes() + "m";
    }
    if (d.toMillis() % 1000 == 0) {
      return d.toSeconds() + "s";
    }
    return d.toMillis() + "ms";
  }
}
