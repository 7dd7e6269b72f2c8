package dev.hfwebhooks.journal;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How much history the journal keeps: the newest {@code count} deliveries, or those younger than
 * {@code age}. Deliveries still queued or running are never removed, whatever their age or number.
 *
 * @param count deliveries kept, or 0 when bounded by age
 * @param age how long a delivery is kept, or null when bounded by count
 */
public record Retention(long count, @Nullable Duration age) {
  /** Enough for weeks of a busy repository, small enough to list in an instant. */
  public static final Retention DEFAULT = new Retention(10_000, null);

  private static final Pattern SPEC =
      Pattern.compile("(\\d{1,12})\\s*([smhdw]?)", Pattern.CASE_INSENSITIVE);

  public Retention {
    if ((count > 0) == (age != null)) {
      throw new IllegalArgumentException("keep a number of deliveries or an age, not both");
    }
    if (age != null && (age.isNegative() || age.isZero())) {
      throw new IllegalArgumentException("the age kept must be positive");
    }
  }

  /** Reads {@code 5000} (deliveries) or {@code 30d}, {@code 12h}, {@code 90m}, {@code 2w}. */
  public static Retention parse(String spec) {
    Matcher m = SPEC.matcher(spec.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'%s' is neither a number of deliveries (5000) nor an age (30d, 12h, 90m)"
              .formatted(spec));
    }
    long number = Long.parseLong(m.group(1));
    if (number == 0) {
      throw new IllegalArgumentException("--keep must keep something: at least 1, not 0");
    }
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    return switch (unit) {
      case "" -> new Retention(number, null);
      case "s" -> new Retention(0, Duration.ofSeconds(number));
      case "m" -> new Retention(0, Duration.ofMinutes(number));
      case "h" -> new Retention(0, Duration.ofHours(number));
      case "d" -> new Retention(0, Duration.ofDays(number));
      default -> new Retention(0, Duration.ofDays(7 * number));
    };
  }

  @Override
  public String toString() {
    return age == null ? count + " deliveries" : age.toString();
  }
}
