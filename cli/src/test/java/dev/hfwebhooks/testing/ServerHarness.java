package dev.hfwebhooks.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.journal.DataDir;
import dev.hfwebhooks.journal.DeliveryQueue;
import dev.hfwebhooks.journal.HeldDeliveries;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.RecordedRun;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.RetryPolicy;
import dev.hfwebhooks.journal.sqlite.SqliteJournal;
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
import java.util.Random;

/**
 * Starts the real server on 127.0.0.1, port 0, over a handlers folder; always stops it, and adds
 * the server's log to any assertion that fails inside (as javalin-testtools does).
 */
public final class ServerHarness implements AutoCloseable {
  public static final String SECRET = "s3cret-for-tests";

  private final StringWriter log = new StringWriter();
  private final Handlers handlers;
  private final Journal journal;
  private final DeliveryQueue queue;
  private final HeldDeliveries held;
  private final WebhookServer server;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * How serve records deliveries in a test.
   *
   * @param dataDir the journal's folder, or null for no journal
   * @param async answer 202 and run deliveries on the queue
   * @param retries the retry policy of the queue
   * @param keep the journal's retention
   * @param holds what schedules the release of deliveries {@code @debounce} holds, or null for a
   *     thread, as serve has
   */
  public record Recording(
      Path dataDir,
      boolean async,
      RetryPolicy retries,
      Retention keep,
      DeliveryQueue.Scheduler holds) {
    public static final Recording NONE = new Recording(null, false, null, null, null);

    /** Synchronous serve with a journal in {@code dataDir}. */
    public static Recording journal(Path dataDir) {
      return new Recording(
          dataDir, false, RetryPolicy.of(0, Duration.ZERO), Retention.DEFAULT, null);
    }

    /** serve --async with a journal in {@code dataDir}, retrying quickly. */
    public static Recording async(Path dataDir, int retries) {
      return new Recording(
          dataDir, true, RetryPolicy.of(retries, Duration.ofMillis(20)), Retention.DEFAULT, null);
    }

    public Recording keep(Retention retention) {
      return new Recording(dataDir, async, retries, retention, holds);
    }

    /** Releases held deliveries with {@code scheduler}. */
    public Recording holds(DeliveryQueue.Scheduler scheduler) {
      return new Recording(dataDir, async, retries, keep, scheduler);
    }
  }

  private ServerHarness(
      Path dir, String secret, Duration timeout, long maxBody, Recording recording)
      throws IOException {
    handlers = new Handlers(Fixtures.scan(dir));
    ServerLog serverLog = new ServerLog(new PrintWriter(log, true));
    if (recording.dataDir() == null) {
      journal = Journal.none();
      queue = null;
      held = null;
    } else {
      journal = SqliteJournal.openForServe(DataDir.journal(recording.dataDir()), recording.keep());
      queue =
          new DeliveryQueue(
              journal,
              record ->
                  RecordedRun.run(
                      handlers,
                      record,
                      timeout,
                      line -> serverLog.handlerLine(record.handler(), line)),
              recording.retries(),
              2,
              DeliveryQueue.Scheduler.thread(),
              new Random(7),
              serverLog::info);
      held =
          HeldDeliveries.toQueue(
              journal,
              queue,
              handlers,
              recording.holds() != null ? recording.holds() : DeliveryQueue.Scheduler.thread(),
              serverLog::info);
    }
    server =
        WebhookServer.start(
            new ServerConfig("127.0.0.1", 0, secret, timeout, maxBody, null),
            handlers,
            journal,
            recording.async() ? queue : null,
            held,
            serverLog);
    if (held != null) {
      held.resume(); // as serve does once it is up: what the last server left held
    }
  }

  /**
   * A server that stays up across tests (a test class's {@code @BeforeAll}); the caller closes it.
   */
  public static ServerHarness open(Path dir, Recording recording) throws IOException {
    return new ServerHarness(dir, SECRET, Duration.ofSeconds(20), 1 << 20, recording);
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
    test(dir, secret, timeout, maxBody, Recording.NONE, body);
  }

  /** A server that records deliveries as {@code recording} says. */
  public static void test(Path dir, Recording recording, Body body) throws Exception {
    test(dir, SECRET, Duration.ofSeconds(10), 1 << 20, recording, body);
  }

  public static void test(
      Path dir, String secret, Duration timeout, long maxBody, Recording recording, Body body)
      throws Exception {
    try (ServerHarness harness = new ServerHarness(dir, secret, timeout, maxBody, recording)) {
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

  /** The journal the server writes (a no-op one without recording). */
  public Journal journal() {
    return journal;
  }

  /** The background queue, or null without a journal. */
  public DeliveryQueue queue() {
    return queue;
  }

  /** POSTs {@code body} to {@code /webhooks/<name>} with the test secret. */
  public HttpResponse<String> post(String name, byte[] body) throws Exception {
    return send(
        HttpRequest.newBuilder(URI.create(url("/webhooks/" + name)))
            .header("X-Webhook-Secret", SECRET)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** Waits until the server's log holds {@code text}; fails with the log if it does not in time. */
  public void awaitLog(String text, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!log().contains(text)) {
      assertThat(System.nanoTime()).as("%s in the log:%n%s", text, log()).isLessThan(deadline);
      Thread.sleep(20);
    }
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
    if (held != null) {
      held.close();
    }
    if (queue != null) {
      queue.close(Duration.ofSeconds(5), () -> handlers.terminateRunning(Duration.ofSeconds(1)));
    }
    handlers.close();
    journal.close();
  }
}
