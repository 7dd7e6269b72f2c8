package dev.hfwebhooks.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What the data dir fault tests do to a real serve with a {@code note} handler: post a delivery,
 * count log lines, wait for a condition.
 */
final class NoteServer {
  private NoteServer() {}

  static HttpResponse<String> post(HttpClient client, ServeProcess server) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(server.url() + "/webhooks/note"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(Fixtures.payload("repo-create.json")))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static long count(String text, String part) {
    return text.lines().filter(line -> line.contains(part)).count();
  }

  interface Check {
    boolean holds() throws Exception;
  }

  /** Waits (at most a minute) until {@code check} holds; fails with the server's log if not. */
  static void awaitTrue(Check check, ServeProcess server) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!check.holds()) {
      assertThat(System.nanoTime()).as(server.log()).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }
}
