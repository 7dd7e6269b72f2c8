package dev.hfwebhooks.flow;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.testing.ServerHarness;
import dev.hfwebhooks.testing.ServerHarness.Recording;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code @concurrency} on the real server, with a real process per run. Each run writes when it
 * starts and ends, and holds until the test releases it, so the order of events is the test's to
 * decide: no assertion depends on how fast anything is.
 */
class ConcurrencyServerTest {
  @TempDir Path handlers;
  @TempDir Path data;

  /**
   * One run at a time per repository. Each run is tagged by the payload's repo.headSha: it logs
   * "start TAG NANOS", waits for the file release-TAG, logs "end TAG NANOS".
   */
  private static final String ONE_PER_REPO =
      """
      #!/bin/sh
      # @concurrency 1 key=repo.name
      tag=$(sed -n 's/.*"headSha":"\\([^"]*\\)".*/\\1/p')
      echo "start $tag $(date +%s%N)" >> events
      touch "started-$tag"
      while [ ! -f "release-$tag" ]; do sleep 0.02; done
      echo "end $tag $(date +%s%N)" >> events
      echo '{}'
      """;

  @BeforeEach
  void writeHandler() {
    write(handlers, "train.sh", ONE_PER_REPO);
  }

  /** A push to {@code repo}, tagged {@code tag}. */
  private static byte[] push(String repo, String tag) {
    ObjectNode body =
        (ObjectNode)
            Json.tryParse(
                    new String(payload("model-repo-content-update.json"), StandardCharsets.UTF_8))
                .get();
    ((ObjectNode) body.get("repo")).put("name", repo).put("headSha", tag);
    return Json.write(body).getBytes(StandardCharsets.UTF_8);
  }

  private CompletableFuture<HttpResponse<String>> postLater(ServerHarness server, byte[] body) {
    return server
        .client()
        .sendAsync(
            HttpRequest.newBuilder(URI.create(server.url("/webhooks/train")))
                .header("X-Webhook-Secret", ServerHarness.SECRET)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static void eventually(String what, Supplier<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.get()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private void release(String... tags) {
    for (String tag : tags) {
      write(handlers, "release-" + tag, "");
    }
  }

  private boolean started(String tag) {
    return Files.exists(handlers.resolve("started-" + tag));
  }

  private static int recorded(ServerHarness server) {
    return server.journal().list(Query.newest(100)).size();
  }

  /** Each run's start and end, by tag; the tags in the order they started. */
  private record Runs(Map<String, long[]> times, List<String> starts) {
    long start(String tag) {
      return times.get(tag)[0];
    }

    long end(String tag) {
      return times.get(tag)[1];
    }
  }

  private Runs runs() {
    Map<String, long[]> times = new LinkedHashMap<>();
    List<String> starts = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(handlers.resolve("events"))) {
        String[] f = line.split(" ", -1);
        long[] t = times.computeIfAbsent(f[1], k -> new long[2]);
        if (f[0].equals("start")) {
          t[0] = Long.parseLong(f[2]);
          starts.add(f[1]);
        } else {
          t[1] = Long.parseLong(f[2]);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Runs(times, starts);
  }

  @Test
  void synchronousRunsOfOneRepoGoOneAfterTheOtherAndTwoReposSideBySide() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          var a1 = postLater(server, push("acme/a", "a1"));
          eventually("a1 started", () -> started("a1"));
          var a2 = postLater(server, push("acme/a", "a2"));
          eventually("a2 recorded", () -> recorded(server) == 2);
          // Another repository does not wait for acme/a: it starts while a1 still runs.
          var b1 = postLater(server, push("acme/b", "b1"));
          eventually("b1 started while a1 runs", () -> started("b1"));
          assertThat(started("a2")).as("a2 waits while a1 runs").isFalse();

          release("a1", "a2", "b1");

          for (var response : List.of(a1, a2, b1)) {
            assertThat(response.get().statusCode()).as(response.get().body()).isEqualTo(200);
          }
          Runs runs = runs();
          assertThat(runs.start("a2")).as("a2 starts after a1 ended").isGreaterThan(runs.end("a1"));
          assertThat(runs.start("b1")).as("b1 starts before a1 ended").isLessThan(runs.end("a1"));
        });
  }

  @Test
  void queuedRunsOfOneRepoGoOldestFirstWithoutHoldingUpAnotherRepo() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.async(data, 0),
        server -> {
          // The harness has two workers: deliveries waiting for their turn must not take them.
          assertThat(server.post("train", push("acme/a", "a1")).statusCode()).isEqualTo(202);
          eventually("a1 started", () -> started("a1"));
          for (String tag : List.of("a2", "a3", "a4")) {
            assertThat(server.post("train", push("acme/a", tag)).statusCode()).isEqualTo(202);
          }
          assertThat(server.post("train", push("acme/b", "b1")).statusCode()).isEqualTo(202);
          eventually("b1 started while a1 runs", () -> started("b1"));

          release("a4", "a3", "a2", "b1", "a1");

          eventually(
              "all succeeded",
              () -> server.journal().list(new Query(null, Status.SUCCEEDED, 100)).size() == 5);
          Runs runs = runs();
          assertThat(runs.starts().stream().filter(t -> t.startsWith("a")))
              .containsExactly("a1", "a2", "a3", "a4");
          assertThat(runs.start("a2")).isGreaterThan(runs.end("a1"));
          assertThat(runs.start("a3")).isGreaterThan(runs.end("a2"));
          assertThat(runs.start("a4")).isGreaterThan(runs.end("a3"));
          assertThat(runs.start("b1")).isLessThan(runs.end("a1"));
        });
  }

  @Test
  void aSynchronousDeliveryThatGetsNoTurnWithinTheTimeoutIs503AndRecordedWithTheReason()
      throws Exception {
    ServerHarness.test(
        handlers,
        ServerHarness.SECRET,
        Duration.ofSeconds(2),
        1 << 20,
        Recording.journal(data),
        server -> {
          // a1 holds the lane until it is stopped at the timeout; a2 then runs, as long; a3,
          // behind them both, cannot have a turn within its own 2 s.
          var a1 = postLater(server, push("acme/one", "a1"));
          eventually("a1 started", () -> started("a1"));
          var a2 = postLater(server, push("acme/one", "a2"));
          eventually("a2 recorded", () -> recorded(server) == 2);
          var a3 = postLater(server, push("acme/one", "a3"));
          eventually("a3 recorded", () -> recorded(server) == 3);

          assertThat(a1.get().statusCode()).isEqualTo(504);
          // Should a1's end come late, a2 gives up too: at least one waited in vain either way.
          List<HttpResponse<String>> refused =
              List.of(a2.get(), a3.get()).stream().filter(r -> r.statusCode() == 503).toList();
          assertThat(refused).isNotEmpty();
          for (HttpResponse<String> response : refused) {
            String id = response.headers().firstValue("X-Delivery-Id").orElseThrow();
            String error =
                "train did not run: it waited 2 s for its turn (@concurrency 1 key=repo.name: at"
                    + " most 1 at once for repo.name=acme/one); send it again or replay it later";
            assertThat(response.body())
                .isEqualTo(Json.write(Json.object().put("error", error).put("delivery", id)));
            var record = server.journal().find(id).orElseThrow();
            assertThat(record.summary().status()).isEqualTo(Status.FAILED);
            assertThat(record.summary().error()).isEqualTo(error);
          }
          assertThat(started("a3")).as("a3 never ran").isFalse();
        });
  }
}
