package dev.hfwebhooks.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What each scanner takes for the public URL in lines real clients print. */
class UrlScannerTest {
  static Stream<Arguments> lines() {
    UrlScanner ngrok = UrlScanner.ngrokJson();
    UrlScanner origin = UrlScanner.firstHttpsOrigin();
    UrlScanner bore = UrlScanner.pattern(Pattern.compile("listening at ([\\w.-]+:\\d+)"));
    UrlScanner named = UrlScanner.pattern(Pattern.compile("(?<url>\\S+\\.lhr\\.life) tunneled"));
    return Stream.of(
        Arguments.of(
            "ngrok: started tunnel",
            ngrok,
            "{\"addr\":\"http://localhost:7860\",\"lvl\":\"info\",\"msg\":\"started tunnel\","
                + "\"name\":\"command_line\",\"url\":\"https://ab12.ngrok-free.app\"}",
            "https://ab12.ngrok-free.app"),
        Arguments.of(
            "ngrok 2: the plain-http tunnel is not taken",
            ngrok,
            "{\"lvl\":\"info\",\"msg\":\"started tunnel\",\"url\":\"http://ab12.ngrok.io\"}",
            null),
        Arguments.of(
            "ngrok: a URL in another line is not taken",
            ngrok,
            "{\"lvl\":\"eror\",\"msg\":\"session closing\",\"err\":\"see https://ngrok.com\"}",
            null),
        Arguments.of("ngrok: not JSON", ngrok, "started tunnel https://x.example.com", null),
        Arguments.of(
            "cloudflared: the box",
            origin,
            "2025-06-01T10:00:01Z INF |  https://a-b-c.trycloudflare.com              |",
            "https://a-b-c.trycloudflare.com"),
        Arguments.of(
            "cloudflared: links with a path are docs, not the tunnel",
            origin,
            "INF Terms of Use (https://www.cloudflare.com/website-terms/), following:"
                + " https://developers.cloudflare.com/cloudflare-one/connections/connect-apps",
            null),
        Arguments.of(
            "localtunnel",
            origin,
            "your url is: https://brave-fox-42.loca.lt",
            "https://brave-fox-42.loca.lt"),
        Arguments.of(
            "a JSON line, trailing slash dropped",
            origin,
            "{\"level\":\"info\",\"url\":\"https://x1.share.zrok.io/\"}",
            "https://x1.share.zrok.io"),
        Arguments.of(
            "end of a sentence, with a port",
            origin,
            "Forwarding from https://tunnel.example.com:8443.",
            "https://tunnel.example.com:8443"),
        Arguments.of("plain http is not public https", origin, "at http://abc.example.com", null),
        Arguments.of("localhost is not public", origin, "web UI on https://localhost", null),
        Arguments.of(
            "a query makes it not a bare origin", origin, "https://abc.example.com?x=1", null),
        // Found by UrlScannerPropertiesTest: text the pattern let through as an origin, which
        // the Hub could never post to; the first real one after it is taken instead.
        Arguments.of(
            "a host label that starts or ends with '-' is no host",
            origin,
            "https://-.h then https://brave-fox-42.loca.lt",
            "https://brave-fox-42.loca.lt"),
        Arguments.of(
            "a last label that starts with a digit is no host", origin, "https://a.1b", null),
        Arguments.of(
            "a port past 65535 is no port", origin, "https://tunnel.example.com:99999", null),
        Arguments.of(
            "an address is a host", origin, "https://203.0.113.7:8443", "https://203.0.113.7:8443"),
        Arguments.of(
            "bore: no scheme, https added",
            bore,
            "2025-06-01T10:00:00Z INFO bore_cli::client: listening at bore.pub:40123",
            "https://bore.pub:40123"),
        Arguments.of(
            "a named group",
            named,
            "abc123.lhr.life tunneled with tls termination, https://abc123.lhr.life",
            "https://abc123.lhr.life"),
        // Found by UrlScannerPropertiesTest: "Ready at /" gave "https://" for the public URL.
        Arguments.of(
            "a match with no host is skipped for the next one",
            UrlScanner.pattern(Pattern.compile("Ready at (\\S*)")),
            "Ready at / Ready at x.example.net",
            "https://x.example.net"),
        Arguments.of(
            "a match with its scheme is kept as it is",
            UrlScanner.pattern(Pattern.compile("http://\\S+")),
            "Forwarding http://example.net:9000/",
            "http://example.net:9000"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lines")
  void findsThePublicUrl(String name, UrlScanner scanner, String line, String expected) {
    assertThat(scanner.find(line)).isEqualTo(Optional.ofNullable(expected));
  }
}
