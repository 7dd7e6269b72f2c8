package dev.hfwebhooks.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.testing.Gen;
import dev.hfwebhooks.testing.Generated;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Generated client output through the URL scanners: a line gives nothing, or an address the server
 * can register on the Hub (an https origin whose host and port are real ones); never an exception.
 */
class UrlScannerPropertiesTest {
  private static final UrlScanner ORIGIN = UrlScanner.firstHttpsOrigin();
  private static final UrlScanner NGROK = UrlScanner.ngrokJson();
  private static final List<UrlScanner> PATTERNS =
      List.of(
          UrlScanner.pattern(Pattern.compile("listening at ([\\w.-]+:\\d+)")),
          UrlScanner.pattern(Pattern.compile("(?<url>\\S+\\.lhr\\.life) tunneled")),
          UrlScanner.pattern(Pattern.compile("(?<url>x)?y")),
          UrlScanner.pattern(Pattern.compile("Ready at (\\S*)")));

  /** Hosts, good and bad: labels with hyphens at either end, digits, long ones, dots. */
  private static String host(Random r) {
    String label = "abcdefghijklmnopqrstuvwxyz0123456789-";
    StringBuilder host = new StringBuilder(Gen.from(r, label, 12));
    for (int i = 1 + r.nextInt(3); i > 0; i--) {
      host.append('.').append(Gen.from(r, label, 10));
    }
    return host.toString();
  }

  /** A line as a client might print it, with an address somewhere (or not). */
  private static String line(Random r) {
    String address =
        Gen.oneOf(r, "https://", "http://", "https:/", "HTTPS://", "")
            + host(r)
            + (r.nextInt(3) == 0
                ? ":" + Gen.oneOf(r, "0", "443", "8080", "65535", "65536", "99999", "")
                : "")
            + Gen.oneOf(r, "", "/", "/path", "?q", "#f", "//");
    return Gen.text(r, 30)
        + Gen.oneOf(r, " ", "|", "\"", "(", "")
        + address
        + Gen.oneOf(r, " ", "", ".", ").", "\"", "|", "\t", ",x", "-")
        + Gen.text(r, 30);
  }

  /** What the server does with a found URL: a base URL of the Hub's webhooks. */
  private static void registrable(String url) throws Exception {
    URI uri = new URI(url);
    assertThat(uri.getScheme()).isEqualTo("https");
    assertThat(uri.getHost()).as("a host name URI accepts").isNotNull();
    int port = uri.getPort();
    assertThat(port == -1 || (port >= 1 && port <= 65535)).as("port %d", port).isTrue();
    assertThat(uri.getRawPath()).isEmpty();
    assertThat(uri.getRawQuery()).isNull();
    assertThat(uri.getRawFragment()).isNull();
  }

  @Test
  void theFirstHttpsOriginOfAnyLineIsARealAddressOrNothing() {
    Generated.forAll(
        (Random r) -> r.nextInt(4) == 0 ? Gen.text(r, 200) : line(r),
        Generated::shrinkText,
        line -> {
          Optional<String> found = ORIGIN.find(line);
          if (found.isPresent()) {
            registrable(found.get());
          }
        });
  }

  @Test
  void anOriginStandingAloneIsFoundWhole() {
    Generated.forAll(
        (Random r) -> {
          String origin =
              "https://"
                  + Gen.oneOf(r, "a", "brave-fox-42", "x1", "ab12")
                  + "."
                  + Gen.oneOf(r, "loca.lt", "ngrok-free.app", "trycloudflare.com", "example.net")
                  + Gen.oneOf(r, "", ":8443", ":1");
          String line =
              Gen.from(r, "abc :|(\"'\t", 20)
                  + " "
                  + origin
                  + Gen.oneOf(r, "", " ", "/", "|", ".", "\"", ". More", "/ ");
          return new String[] {line, origin};
        },
        input -> assertThat(ORIGIN.find(input[0])).contains(input[1]));
  }

  @Test
  void ngrokLogLinesOfAnyShapeGiveAnHttpsUrlOrNothing() {
    Generated.forAll(
        (Random r) -> {
          if (r.nextInt(3) == 0) {
            return "{" + Gen.text(r, 100);
          }
          ObjectNode line =
              (ObjectNode)
                  Gen.mutate(
                      r,
                      Json.object()
                          .put("lvl", "info")
                          .put("msg", "started tunnel")
                          .put("url", Gen.oneOf(r, "https://", "http://", "") + host(r)));
          return Json.write(line);
        },
        Generated::shrinkText,
        line -> {
          Optional<String> found = NGROK.find(line);
          found.ifPresent(url -> assertThat(url).startsWith("https://").doesNotEndWith("/"));
        });
  }

  @Test
  void aUserPatternOnAnyLineGivesAUrlWithAHostOrNothing() {
    Generated.forAll(
        (Random r) -> {
          String line = r.nextBoolean() ? Gen.text(r, 120) : line(r);
          return Gen.oneOf(r, "", "listening at ", "Ready at ", "y ")
              + line
              + Gen.oneOf(r, "", ".lhr.life tunneled", " y");
        },
        Generated::shrinkText,
        line -> {
          for (UrlScanner scanner : PATTERNS) {
            Optional<String> found = scanner.find(line);
            if (found.isPresent()) {
              assertThat(found.get()).matches("(?s)[A-Za-z][A-Za-z0-9+.-]*://.+");
              assertThat(new URI(found.get()).getHost()).as(found.get()).isNotNull();
            }
          }
        });
  }
}
