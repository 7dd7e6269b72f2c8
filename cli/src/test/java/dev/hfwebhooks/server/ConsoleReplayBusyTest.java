package dev.hfwebhooks.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServerHarness;
import dev.hfwebhooks.testing.ServerHarness.Recording;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's Replay of a delivery its own {@code --async} queue has queued or running: 409 with
 * the reason, and the handler does not run twice at once; once the queue has run it, it replays.
 */
class ConsoleReplayBusyTest {
  @TempDir Path handlers;
  @TempDir Path data;
  @TempDir Path work;

  @Test
  void aDeliveryTheQueueHasQueuedOrRunningIsRefusedThenReplayedOnceRun() throws Exception {
    Path runs = work.resolve("runs.log");
    Path gate = work.resolve("gate");
    Fixtures.gatedScript(handlers, "slow.sh", runs, gate);
    // Two workers in the harness's queue: three deliveries leave one queued.
    ServerHarness.test(
        handlers,
        Recording.async(data, 0),
        server -> {
          byte[] body = Fixtures.payload("repo-create.json");
          String first = id(server.post("slow", body));
          String second = id(server.post("slow", body));
          String queued = id(server.post("slow", body));
          awaitStatus(server, first, Status.RUNNING);
          awaitStatus(server, second, Status.RUNNING);

          HttpResponse<String> running = replay(server, first);
          HttpResponse<String> waiting = replay(server, queued);

          assertThat(running.statusCode()).as(running.body()).isEqualTo(409);
          assertThat(Json.MAPPER.readTree(running.body()).path("error").asText())
              .isEqualTo(
                  ("delivery %s is running in this server: replayed now it would run twice at"
                          + " once; wait until it has finished (hf-webhooks deliveries show %s),"
                          + " then replay it")
                      .formatted(first, first));
          assertThat(waiting.statusCode()).as(waiting.body()).isEqualTo(409);
          assertThat(waiting.body()).contains("is queued in this server");
          assertThat(Files.readAllLines(runs)).containsExactlyInAnyOrder(first, second);

          Files.createFile(gate);
          awaitStatus(server, first, Status.SUCCEEDED);
          HttpResponse<String> done = replay(server, first);

          assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
          assertThat(Files.readAllLines(runs)).filteredOn(first::equals).hasSize(2);
        });
  }

  private static String id(HttpResponse<String> answer) {
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
    return answer.headers().firstValue("X-Delivery-Id").orElseThrow();
  }

  private static HttpResponse<String> replay(ServerHarness server, String id) throws Exception {
    return server.send(
        HttpRequest.newBuilder(URI.create(server.url("/api/deliveries/" + id + "/replay")))
            .header("X-Webhook-Secret", ServerHarness.SECRET)
            .POST(HttpRequest.BodyPublishers.noBody()));
  }

  private static void awaitStatus(ServerHarness server, String id, Status want) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    Status seen = null;
    while (System.nanoTime() < deadline) {
      seen = server.journal().find(id).map(r -> r.summary().status()).orElse(null);
      if (seen == want) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    assertThat(seen).as("status of %s", id).isEqualTo(want);
  }
}
