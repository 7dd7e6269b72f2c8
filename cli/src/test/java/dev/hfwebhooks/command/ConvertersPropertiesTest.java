package dev.hfwebhooks.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hfwebhooks.testing.Gen;
import dev.hfwebhooks.testing.Generated;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/**
 * Generated option values through the size and duration converters: a value that means what it says
 * (checked against exact arithmetic), or picocli's conversion error, which the command line reports
 * as one usage line; never another exception, and never a size that wrapped around.
 */
class ConvertersPropertiesTest {
  /** A number and a unit, once stripped as the converters strip (Unicode spaces included). */
  private static final Pattern WRITTEN = Pattern.compile("(\\d+)\\s*([A-Za-z]*)");

  /** Sizes as people write them, right or not quite: big numbers, every unit, odd spacing. */
  private static String size(Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> Gen.text(r, 16);
      default ->
          Gen.oneOf(r, "", " ", "\t")
              + Gen.oneOf(
                  r,
                  String.valueOf(r.nextInt(2000)),
                  String.valueOf(Math.floorMod(r.nextLong(), 1_000_000_000_000L)),
                  "999999999999",
                  "9999999999999",
                  "0",
                  "-1",
                  "1.5")
              + Gen.oneOf(r, "", " ", "  ")
              + Gen.oneOf(
                  r, "", "b", "k", "kb", "KiB", "m", "MB", "mib", "g", "GB", "gib", "t", "x", "kk");
    };
  }

  private static String duration(Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> Gen.text(r, 16);
      default ->
          Gen.oneOf(r, "", " ")
              + Gen.oneOf(
                  r, String.valueOf(r.nextInt(1000)), "999999999", "1000000000", "0", "-5", "2.5")
              + Gen.oneOf(r, "", " ")
              + Gen.oneOf(r, "", "ms", "s", "m", "h", "MS", "H", "d", "min", "sec");
    };
  }

  /** What {@code text} means in bytes by exact arithmetic, or null when it is not a size. */
  private static BigInteger bytesMeant(String text) {
    Matcher m = WRITTEN.matcher(text.strip());
    if (!m.matches() || m.group(1).length() > 12) {
      return null;
    }
    int shift =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "", "b" -> 0;
          case "k", "kb", "kib" -> 10;
          case "m", "mb", "mib" -> 20;
          case "g", "gb", "gib" -> 30;
          default -> -1;
        };
    return shift < 0 ? null : new BigInteger(m.group(1)).shiftLeft(shift);
  }

  @Test
  void aSizeIsExactlyWhatItSaysOrAConversionError() {
    ByteSizeConverter converter = new ByteSizeConverter();
    Generated.forAll(
        ConvertersPropertiesTest::size,
        Generated::shrinkText,
        text -> {
          BigInteger meant = bytesMeant(text);
          boolean fits =
              meant != null
                  && meant.signum() > 0
                  && meant.compareTo(BigInteger.valueOf(Long.MAX_VALUE)) <= 0;
          if (fits) {
            assertThat(converter.convert(text)).isEqualTo(meant.longValueExact());
          } else {
            assertThatThrownBy(() -> converter.convert(text))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageNotContaining("\n");
          }
        });
  }

  @Test
  void aDurationIsExactlyWhatItSaysOrAConversionError() {
    DurationConverter converter = new DurationConverter();
    Generated.forAll(
        ConvertersPropertiesTest::duration,
        Generated::shrinkText,
        text -> {
          Matcher m = WRITTEN.matcher(text.strip());
          Duration meant = null;
          if (m.matches() && m.group(1).length() <= 9) {
            long n = Long.parseLong(m.group(1));
            meant =
                switch (m.group(2).toLowerCase(Locale.ROOT)) {
                  case "ms" -> Duration.ofMillis(n);
                  case "", "s" -> Duration.ofSeconds(n);
                  case "m" -> Duration.ofMinutes(n);
                  case "h" -> Duration.ofHours(n);
                  default -> null;
                };
          }
          if (meant != null) {
            assertThat(converter.convert(text)).isEqualTo(meant);
          } else {
            assertThatThrownBy(() -> converter.convert(text))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageNotContaining("\n");
          }
        });
  }
}
