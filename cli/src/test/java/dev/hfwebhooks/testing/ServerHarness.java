package dev.hfwebhooks.testing;

import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.server.ServerConfig;
import dev.hfwebhooks.server.ServerLog;
import dev.hfwebhooks.server.WebhookServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Starts the real server on 127.0.0.1, port 0, over a handlers folder; always stops it, and adds
 * the server's log to any assertion that fails inside (as javalin-testtools does).
 */
public final class ServerHarness implements AutoCloseable {
  public static final String SECRET = "s3cret-for-tests";

  private final StringWriter log = new StringWriter();
  private final Handlers handlers;
  private final WebhookServer server;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private ServerHarness(Path dir, String secret, Duration timeout, long maxBody)
      throws IOException {
    handlers = new Handlers(HandlerScan.of(dir));
    server =
        WebhookServer.start(
            new ServerConfig("127.0.0.1", 0, secret, timeout, maxBody, null),
            handlers,
            new ServerLog(new PrintWriter(log, true)));
  }

  /** A tested piece of code that may throw. */
  public interface Body {
    void run(ServerHarness server) throws Exception;
  }

  public static void test(Path dir, Body body) throws Exception {
    test(dir, SECRET, Duration.ofSeconds(10), 1 << 20, body);
  }

  public static void test(Path dir, String secret, Duration timeout, long maxBody, Body body)
      throws Exception {
    try (ServerHarness harness = new ServerHarness(dir, secret, timeout, maxBody)) {
      try {
        body.run(harness);
      } catch (AssertionError e) {
        AssertionError withLog =
            new AssertionError(e.getMessage() + "\n--- server log ---\n" + harness.log(), e);
        throw withLog;
      }
    }
  }

  public String url(String path) {
    return server.localUrl() + path;
  }

  public WebhookServer server() {
    return server;
  }

  public String log() {
    return log.toString();
  }

  /** POSTs {@code body} to {@code /webhooks/<name>} with the test secret. */
  public HttpResponse<String> post(String name, byte[] body) throws Exception {
    return send(
        HttpRequest.newBuilder(URI.create(url("/webhooks/" + name)))
            .header("X-Webhook-Secret", SECRET)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  public HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(
        request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
  }

  public HttpClient client() {
    return client;
  }

  @Override
  public void close() {
    client.shutdownNow(); // idle keep-alive connections would hold up Jetty's graceful stop
    server.close();
    handlers.close();
  }
}
