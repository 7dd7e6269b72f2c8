package dev.hfwebhooks.tunnel;

import java.util.regex.Pattern;

/** The URL patterns the scanners share. */
final class Urls {
  /**
   * {@code https://host[:port][/]} followed by the end of the URL: a space, a quote, a box border,
   * or punctuation ending a sentence. A dot in the host keeps out {@code localhost}.
   */
  static final Pattern HTTPS_ORIGIN =
      Pattern.compile(
          "https://([A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+(?::\\d{1,5})?)/?"
              + "(?=[.,;:!?)\\]}]*(?:$|[\\s\"'<>|`\\\\]))");

  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");

  private Urls() {}

  static boolean hasScheme(String url) {
    return SCHEME.matcher(url).lookingAt();
  }

  static String withoutSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
