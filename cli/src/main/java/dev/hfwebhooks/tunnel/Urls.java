package dev.hfwebhooks.tunnel;

import java.net.URI;
import java.net.URISyntaxException;
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

  /**
   * Whether the Hub can post to {@code url}: {@link URI} reads a host in it (labels that start or
   * end with '-', or a last label that starts with a digit, make none) and a port, if any, from 1
   * to 65535. The patterns alone let such text through, or a bare {@code https://}.
   */
  static boolean usable(String url) {
    try {
      URI uri = new URI(url);
      int port = uri.getPort();
      return uri.getHost() != null && (port == -1 || (port >= 1 && port <= 65535));
    } catch (URISyntaxException e) {
      return false;
    }
  }

  static boolean hasScheme(String url) {
    return SCHEME.matcher(url).lookingAt();
  }

  static String withoutSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
