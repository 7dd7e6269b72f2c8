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
          "'" + value + "' is not a size; write it like 1048576, 512KiB or 1MiB");
    }
    long number = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    long bytes =
        switch (unit.charAt(0)) {
          case 'k' -> number << 10;
          case 'm' -> number << 20;
          case 'g' -> number << 30;
          default -> number;
        };
    if (bytes <= 0) {
      throw new TypeConversionException("size must be more than 0 bytes");
    }
    return bytes;
  }
}
