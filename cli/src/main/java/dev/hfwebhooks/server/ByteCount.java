package dev.hfwebhooks.server;

/** Byte counts as people write them: {@code 1 MiB}, not {@code 1048576}. */
public final class ByteCount {
  private ByteCount() {}

  public static String format(long bytes) {
    if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
      return (bytes >> 10) + " KiB";
    }
    return bytes + " bytes";
  }
}
