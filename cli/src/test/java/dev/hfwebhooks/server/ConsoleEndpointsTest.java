package dev.hfwebhooks.server;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.Trigger;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServerHarness;
import dev.hfwebhooks.testing.ServerHarness.Recording;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console's endpoints over HTTP: who may read what, replay, assets, samples, custom pages. */
class ConsoleEndpointsTest {
  @TempDir Path handlers;
  @TempDir Path data;

  private static final byte[] PUSH = payload("model-repo-content-update.json");

  @BeforeEach
  void writeHandlers() {
    write(
        handlers,
        "hello.js",
        "function handle(p) { console.log('hi ' + p.repo.name); return { hi: 1 }; }\n");
    write(handlers, "fail.sh", "#!/bin/sh\necho boom >&2\nexit 3\n");
  }

  private static HttpResponse<String> get(ServerHarness server, String path, String secret)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url(path))).GET();
    if (secret != null) {
      request.header("X-Webhook-Secret", secret);
    }
    return server.send(request);
  }

  private static HttpResponse<String> replay(ServerHarness server, String id, String secret)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(server.url("/api/deliveries/" + id + "/replay")))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (secret != null) {
      request.header("X-Webhook-Secret", secret);
    }
    return server.send(request);
  }

  private static String deliveryId(HttpResponse<String> response) {
    return response.headers().firstValue("X-Delivery-Id").orElseThrow();
  }

  @Test
  void theListIsPublicAndHoldsNoPayloadOutputOrError() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          String failed = deliveryId(server.post("fail", PUSH));
          String ok = deliveryId(server.post("hello", PUSH));

          HttpResponse<String> list = get(server, "/api/deliveries?limit=1", null);

          assertThat(list.statusCode()).isEqualTo(200);
          assertThat(list.headers().firstValue("Content-Type")).hasValue("application/json");
          var deliveries = Json.MAPPER.readTree(list.body()).get("deliveries");
          assertThat(deliveries).hasSize(1);
          assertThat(deliveries.get(0).get("id").asText()).isEqualTo(ok);
          assertThat(deliveries.get(0).get("handler").asText()).isEqualTo("hello");
          assertThat(deliveries.get(0).get("status").asText()).isEqualTo("succeeded");
          assertThat(deliveries.get(0).has("durationMs")).isTrue();
          assertThat(get(server, "/api/deliveries", null).body())
              .contains(failed)
              .doesNotContain("boom")
              .doesNotContain("exited with status")
              .doesNotContain("repo.content");
        });
  }

  @Test
  void aBadLimitIs400() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          for (String limit : new String[] {"0", "201", "many"}) {
            HttpResponse<String> response = get(server, "/api/deliveries?limit=" + limit, null);
            assertThat(response.statusCode()).as(limit).isEqualTo(400);
            assertThat(response.body())
                .isEqualTo("{\"error\":\"limit must be a number from 1 to 200.\"}");
          }
        });
  }

  @Test
  void aDeliveryRecordTakesTheSecret() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          String id = deliveryId(server.post("fail", PUSH));

          HttpResponse<String> none = get(server, "/api/deliveries/" + id, null);
          HttpResponse<String> wrong = get(server, "/api/deliveries/" + id, "guess");
          HttpResponse<String> right = get(server, "/api/deliveries/" + id, ServerHarness.SECRET);
          HttpResponse<String> inQuery =
              get(server, "/api/deliveries/" + id + "?secret=" + ServerHarness.SECRET, null);

          assertThat(none.statusCode()).isEqualTo(401);
          assertThat(wrong.statusCode()).isEqualTo(403);
          assertThat(wrong.body()).isEqualTo("{\"error\":\"Invalid webhook secret.\"}");
          assertThat(inQuery.statusCode()).as("the API takes the header only").isEqualTo(401);
          assertThat(right.statusCode()).isEqualTo(200);
          var record = Json.MAPPER.readTree(right.body());
          assertThat(record.get("id").asText()).isEqualTo(id);
          assertThat(record.get("stderr").asText()).isEqualTo("boom");
          assertThat(record.get("error").asText()).isEqualTo("fail exited with status 3");
          assertThat(record.get("body").asText())
              .isEqualTo(new String(PUSH, StandardCharsets.UTF_8));
          assertThat(record.get("headers").has("x-webhook-secret")).isFalse();
          assertThat(record.get("history").get(0).get("trigger").asText()).isEqualTo("received");
          assertThat(right.body()).doesNotContain(ServerHarness.SECRET);
        });
  }

  @Test
  void anUnknownDeliveryIs404() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          HttpResponse<String> show = get(server, "/api/deliveries/nope", ServerHarness.SECRET);
          HttpResponse<String> again = replay(server, "nope", ServerHarness.SECRET);

          assertThat(show.statusCode()).isEqualTo(404);
          assertThat(show.body())
              .isEqualTo("{\"error\":\"No delivery \\\"nope\\\" in the journal.\"}");
          assertThat(again.statusCode()).isEqualTo(404);
        });
  }

  @Test
  void replayTakesTheSecretAndRecordsANewAttempt() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          String id = deliveryId(server.post("hello", PUSH));

          HttpResponse<String> refused = replay(server, id, "guess");
          HttpResponse<String> replayed = replay(server, id, ServerHarness.SECRET);

          assertThat(refused.statusCode()).isEqualTo(403);
          assertThat(replayed.statusCode()).isEqualTo(200);
          var run = Json.MAPPER.readTree(replayed.body());
          assertThat(run.get("delivery").asText()).isEqualTo(id);
          assertThat(run.get("attempt").asInt()).isEqualTo(2);
          assertThat(run.get("status").asText()).isEqualTo("succeeded");
          assertThat(run.get("stderr").asText()).startsWith("hi ");
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.attempts())
              .extracting(a -> a.trigger())
              .containsExactly(Trigger.RECEIVED, Trigger.REPLAY);
          assertThat(server.log()).contains("POST /api/deliveries/" + id + "/replay");
        });
  }

  @Test
  void withoutASecretThePrivateEndpointsAreOpenAsTheWebhooksAre() throws Exception {
    ServerHarness.test(
        handlers,
        null,
        Duration.ofSeconds(10),
        1 << 20,
        Recording.journal(data),
        server -> {
          String id = deliveryId(server.post("hello", PUSH));

          assertThat(get(server, "/api/deliveries/" + id, null).statusCode()).isEqualTo(200);
          assertThat(replay(server, id, null).statusCode()).isEqualTo(200);
        });
  }

  @Test
  void theConsoleServesItsAssetsAndEverySampleEvent() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          HttpResponse<String> css = get(server, "/assets/console.css", null);
          HttpResponse<String> js = get(server, "/assets/console.js", null);
          HttpResponse<String> page = get(server, "/", null);

          assertThat(css.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
          assertThat(js.body()).contains("refreshDeliveries");
          assertThat(page.headers().firstValue("Content-Security-Policy"))
              .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'none'"));
          assertThat(get(server, "/assets/other.js", null).statusCode()).isEqualTo(404);
          for (Samples.Sample sample : Samples.ALL) {
            HttpResponse<String> shipped = get(server, "/samples/" + sample.file(), null);
            assertThat(shipped.statusCode()).as(sample.file()).isEqualTo(200);
            assertThat(shipped.body())
                .isEqualTo(new String(payload(sample.file()), StandardCharsets.UTF_8));
          }
          assertThat(get(server, "/samples/..%2Fconsole%2Fconsole.js", null).statusCode())
              .isEqualTo(404);
        });
  }

  @Test
  void everyPayloadOfTheRepositoryIsOfferedAsASample() throws Exception {
    try (Stream<Path> files = Files.list(Fixtures.PAYLOADS)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(
              Samples.ALL.stream().map(Samples.Sample::file).toList());
    }
  }

  @Test
  void anIndexHtmlInTheHandlersFolderReplacesTheConsoleButNotTheWebhooks() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          write(handlers, "index.html", "<!doctype html><title>mine</title><p>My own page</p>\n");

          HttpResponse<String> page = get(server, "/", null);

          assertThat(page.statusCode()).isEqualTo(200);
          assertThat(page.headers().firstValue("Content-Type"))
              .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
          assertThat(page.body()).contains("My own page");
          assertThat(get(server, "/console", null).body()).contains("<h2>Webhooks</h2>");
          assertThat(server.post("hello", PUSH).statusCode()).isEqualTo(200);
          assertThat(server.post("index", PUSH).statusCode()).isEqualTo(404);
        });
  }
}
