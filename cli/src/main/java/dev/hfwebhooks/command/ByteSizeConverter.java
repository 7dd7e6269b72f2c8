package dev.hfwebhooks.command;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads sizes such as {@code 1048576}, {@code 512KiB}, {@code 1MiB}, {@code 2m} (units of 1024).
 */
final class ByteSizeConverter implements ITypeConverter<Long> {
  private static final Pattern SIZE =
      Pattern.compile("(\\d{1,12})\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?", Pattern.CASE_INSENSITIVE);

  @Override
  public Long convert(String value) {
    Matcher m = SIZE.matcher(value.strip());
    if (!m.matches()) {
      throw new TypeConversionException(
          "'"
              + UserError.visible(value)
              + "' is not a size; write it like 1048576, 512KiB or 1MiB");
    }
    long number = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    int shift =
        switch (unit.charAt(0)) {
          case 'k' -> 10;
          case 'm' -> 20;
          case 'g' -> 30;
          default -> 0;
        };
    // Twelve digits of gibibytes pass 2^63: shifted, they would wrap to a size nobody asked for.
    if (number > Long.MAX_VALUE >> shift) {
      throw new TypeConversionException(
          "'" + UserError.visible(value) + "' is too large; write a size below 8 EiB");
    }
    long bytes = number << shift;
    if (bytes <= 0) {
      throw new TypeConversionException("size must be more than 0 bytes");
    }
    return bytes;
  }
}
