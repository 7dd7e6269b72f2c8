package dev.hfwebhooks.flow;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.journal.DeliveryQueue;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.testing.ServerHarness;
import dev.hfwebhooks.testing.ServerHarness.Recording;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code @debounce} on the real server and journal. The releases are scheduled on a scheduler the
 * test runs by hand, so what makes a burst is the test's choice, not the machine's speed; one test
 * lets a real timer fire, after a restart.
 */
class DebounceServerTest {
  @TempDir Path handlers;
  @TempDir Path data;

  /** Each run appends the payload's repo.headSha, the tag of the delivery, to the file runs. */
  private static String retrain(String debounce) {
    return """
        #!/bin/sh
        # Retrains once a burst of uploads is over.
        # @filter repo.type == model
        # %s
        tag=$(sed -n 's/.*"headSha":"\\([^"]*\\)".*/\\1/p')
        echo "$tag" >> runs
        echo '{}'
        """
        .formatted(debounce);
  }

  /** Keeps what is scheduled until {@link #runAll}; records each delay. */
  static final class ByHand implements DeliveryQueue.Scheduler {
    final List<Duration> delays = new ArrayList<>();
    private final List<Runnable> tasks = new ArrayList<>();

    @Override
    public synchronized void schedule(Duration delay, Runnable task) {
      delays.add(delay);
      tasks.add(task);
    }

    void runAll() {
      List<Runnable> now;
      synchronized (this) {
        now = List.copyOf(tasks);
        tasks.clear();
      }
      now.forEach(Runnable::run);
    }

    @Override
    public void close() {}
  }

  private static byte[] push(String repo, String tag) {
    ObjectNode body =
        (ObjectNode)
            Json.tryParse(
                    new String(payload("model-repo-content-update.json"), StandardCharsets.UTF_8))
                .get();
    ((ObjectNode) body.get("repo")).put("name", repo).put("headSha", tag);
    return Json.write(body).getBytes(StandardCharsets.UTF_8);
  }

  /** Posts; checks the 202 debounced answer; returns it. */
  private static JsonNode debounced(ServerHarness server, String repo, String tag)
      throws Exception {
    HttpResponse<String> response = server.post("retrain", push(repo, tag));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    JsonNode answer = Json.tryParse(response.body()).orElseThrow();
    assertThat(answer.get("status").asText()).isEqualTo("debounced");
    assertThat(answer.get("delivery").asText())
        .isEqualTo(response.headers().firstValue("X-Delivery-Id").orElseThrow());
    return answer;
  }

  private static String id(JsonNode answer) {
    return answer.get("delivery").asText();
  }

  private static void eventually(String what, Supplier<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.get()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static Status status(ServerHarness server, String id) {
    return server.journal().find(id).map(r -> r.summary().status()).orElse(null);
  }

  private List<String> runs() throws Exception {
    Path runs = handlers.resolve("runs");
    return Files.exists(runs) ? Files.readAllLines(runs) : List.of();
  }

  @Test
  void aBurstOfTenRunsOnceWithTheLastAndTheOthersPointAtIt() throws Exception {
    write(handlers, "retrain.sh", retrain("@debounce 30s key=repo.name max=10m"));
    ByHand timer = new ByHand();
    ServerHarness.test(
        handlers,
        Recording.journal(data).holds(timer),
        server -> {
          List<String> ids = new ArrayList<>();
          for (int i = 1; i <= 10; i++) {
            ids.add(id(debounced(server, "acme/reviews", "t" + i)));
          }
          String last = ids.getLast();
          for (String id : ids.subList(0, 9)) {
            DeliveryRecord record = server.journal().find(id).orElseThrow();
            assertThat(record.summary().status()).isEqualTo(Status.SUPERSEDED);
            assertThat(record.summary().note()).isEqualTo("superseded by " + last + " (@debounce)");
          }
          assertThat(status(server, last)).isEqualTo(Status.DEBOUNCED);
          assertThat(runs()).as("nothing runs before the window ends").isEmpty();
          assertThat(timer.delays)
              .hasSize(10)
              .allSatisfy(
                  d -> assertThat(d).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30)));

          timer.runAll(); // every window ends: only the last is still held

          eventually("the last ran", () -> status(server, last) == Status.SUCCEEDED);
          assertThat(runs()).containsExactly("t10");
          assertThat(server.journal().find(last).orElseThrow().attempts()).hasSize(1);
        });
  }

  @Test
  void twoKeysDebounceIndependentlyAlsoWithAsync() throws Exception {
    write(handlers, "retrain.sh", retrain("@debounce 30s"));
    ByHand timer = new ByHand();
    ServerHarness.test(
        handlers,
        Recording.async(data, 0).holds(timer),
        server -> {
          String a1 = id(debounced(server, "acme/a", "a1"));
          String b1 = id(debounced(server, "acme/b", "b1"));
          String a2 = id(debounced(server, "acme/a", "a2"));
          String b2 = id(debounced(server, "acme/b", "b2"));

          timer.runAll();

          eventually(
              "a2 and b2 ran",
              () ->
                  status(server, a2) == Status.SUCCEEDED && status(server, b2) == Status.SUCCEEDED);
          assertThat(runs()).containsExactlyInAnyOrder("a2", "b2");
          assertThat(server.journal().find(a1).orElseThrow().summary().note())
              .isEqualTo("superseded by " + a2 + " (@debounce)");
          assertThat(server.journal().find(b1).orElseThrow().summary().note())
              .isEqualTo("superseded by " + b2 + " (@debounce)");
        });
  }

  @Test
  void maxBoundsABurstFromItsFirstDelivery() throws Exception {
    write(handlers, "retrain.sh", retrain("@debounce 1h max=1h"));
    ServerHarness.test(
        handlers,
        Recording.journal(data).holds(new ByHand()),
        server -> {
          JsonNode first = debounced(server, "acme/a", "a1");
          Thread.sleep(5); // arrives a few milliseconds later: its own window would end later
          JsonNode third = debounced(server, "acme/a", "a2");

          assertThat(Instant.parse(third.get("due").asText()))
              .isEqualTo(Instant.parse(first.get("due").asText()));
        });
  }

  @Test
  void aRestartInTheMiddleOfAWindowStillRunsItOnceWithTheLast() throws Exception {
    write(handlers, "retrain.sh", retrain("@debounce 1s key=repo.name"));
    List<String> ids = new ArrayList<>();
    // The first server stops before any window ends: its timer never fires.
    ServerHarness.test(
        handlers,
        Recording.journal(data).holds(new ByHand()),
        server -> {
          for (String tag : List.of("r1", "r2", "r3")) {
            ids.add(id(debounced(server, "acme/a", tag)));
          }
        });
    assertThat(runs()).isEmpty();

    // The next one schedules what the journal holds, on a real timer.
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          eventually("r3 ran", () -> status(server, ids.get(2)) == Status.SUCCEEDED);
          assertThat(runs()).containsExactly("r3");
          assertThat(status(server, ids.get(0))).isEqualTo(Status.SUPERSEDED);
          assertThat(server.log())
              .contains("retrain delivery=" + ids.get(2) + " held by @debounce until");
        });
  }

  @Test
  void aFilteredDeliveryIsNotHeldAndReplayRunsASupersededOneSayingSo() throws Exception {
    write(handlers, "retrain.sh", retrain("@debounce 30s"));
    ServerHarness.test(
        handlers,
        Recording.journal(data).holds(new ByHand()),
        server -> {
          byte[] dataset = payload("dataset-repo-content-update.json");
          assertThat(server.post("retrain", dataset).body()).contains("\"status\":\"filtered\"");
          String first = id(debounced(server, "acme/a", "s1"));
          String second = id(debounced(server, "acme/a", "s2"));

          HttpResponse<String> replay =
              server.send(
                  HttpRequest.newBuilder(
                          URI.create(server.url("/api/deliveries/" + first + "/replay")))
                      .header("X-Webhook-Secret", ServerHarness.SECRET)
                      .POST(HttpRequest.BodyPublishers.noBody()));

          assertThat(replay.body())
              .contains(
                  "\"note\":\"it was superseded by "
                      + second
                      + " (@debounce); replay runs it anyway\"")
              .contains("\"status\":\"succeeded\"");
          assertThat(runs()).containsExactly("s1");
        });
  }

  @Test
  void withoutAJournalADebouncedHandlerFailsSayingWhy() throws Exception {
    Path file = write(handlers, "retrain.sh", retrain("@debounce 30s"));
    ServerHarness.test(
        handlers,
        Recording.NONE,
        server -> {
          HttpResponse<String> response = server.post("retrain", push("acme/a", "n1"));

          assertThat(response.statusCode()).isEqualTo(500);
          assertThat(response.body())
              .isEqualTo(
                  Json.write(
                      Json.object()
                          .put(
                              "error",
                              file
                                  + " line 4: @debounce needs the journal, which keeps held"
                                  + " deliveries across restarts: serve without --no-journal")));
          assertThat(runs()).isEmpty();
        });
  }
}
