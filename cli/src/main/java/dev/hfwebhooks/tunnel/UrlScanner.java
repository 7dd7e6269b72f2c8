package dev.hfwebhooks.tunnel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.payload.Json;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds a tunnel client's public URL in one line of its output (stdout or stderr). */
@FunctionalInterface
public interface UrlScanner {
  /** The public base URL this line announces, without a trailing slash; empty for most lines. */
  Optional<String> find(String line);

  /**
   * ngrok's JSON log: the line whose {@code msg} is {@code started tunnel} carries {@code url}.
   * ngrok 2 also opens a plain-http tunnel first; only the https one is taken.
   */
  static UrlScanner ngrokJson() {
    return line -> {
      if (!line.startsWith("{") || !line.contains("started tunnel")) {
        return Optional.empty(); // most lines: no need to parse them
      }
      return Json.tryParse(line)
          .filter(node -> "started tunnel".equals(node.path("msg").asText()))
          .map(node -> node.path("url"))
          .filter(JsonNode::isTextual)
          .map(JsonNode::asText)
          .filter(url -> url.startsWith("https://"))
          .map(Urls::withoutSlash);
    };
  }

  /**
   * The first {@code https://} URL that is a bare origin (a host, maybe a port, no path): clients
   * print links to their docs and terms before the tunnel's address (cloudflared does), and those
   * always have a path. Works on plain text, boxes of text and JSON lines alike.
   */
  static UrlScanner firstHttpsOrigin() {
    return line -> {
      Matcher m = Urls.HTTPS_ORIGIN.matcher(line);
      while (m.find()) {
        String origin = "https://" + m.group(1);
        if (Urls.usable(origin)) {
          return Optional.of(origin);
        }
      }
      return Optional.empty();
    };
  }

  /**
   * The first match of {@code pattern} that gives a usable URL: its group named {@code url}, else
   * its first group, else the whole match. A match without a scheme gets {@code https://} in front,
   * for clients that print only a host name.
   */
  static UrlScanner pattern(Pattern pattern) {
    boolean named = pattern.namedGroups().containsKey("url");
    return line -> {
      Matcher m = pattern.matcher(line);
      while (m.find()) {
        String found = named ? m.group("url") : m.groupCount() > 0 ? m.group(1) : m.group();
        if (found == null || found.isBlank()) {
          continue;
        }
        found = found.strip();
        String url = Urls.withoutSlash(Urls.hasScheme(found) ? found : "https://" + found);
        if (Urls.usable(url)) {
          return Optional.of(url);
        }
      }
      return Optional.empty();
    };
  }
}
