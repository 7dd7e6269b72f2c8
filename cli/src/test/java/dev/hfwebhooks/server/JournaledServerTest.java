package dev.hfwebhooks.server;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Retention;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real server with a real journal: what is recorded, and serve --async. */
class JournaledServerTest {
  @TempDir Path handlers;
  @TempDir Path data;

  private static final byte[] PUSH = payload("model-repo-content-update.json");

  @BeforeEach
  void writeHandlers() {
    write(
        handlers,
        "ok.sh",
        "#!/bin/sh\necho \"$WEBHOOK_DELIVERY_ID\" > \"ran-$WEBHOOK_DELIVERY_ID\"\necho '{\"ok\": true}'\n");
    write(handlers, "fail.sh", "#!/bin/sh\necho boom >&2\nexit 3\n");
    // Fails on its first two runs of a delivery, then succeeds: a count per delivery id.
    write(
        handlers,
        "flaky.sh",
        """
        #!/bin/sh
        n=$(( $(cat "count-$WEBHOOK_DELIVERY_ID" 2>/dev/null || echo 0) + 1 ))
        echo $n > "count-$WEBHOOK_DELIVERY_ID"
        if [ $n -le 2 ]; then echo "not yet ($n)" >&2; exit 1; fi
        echo '{"third": "time lucky"}'
        """);
    write(
        handlers,
        "hello.js",
        "function handle(p) { console.log('hi ' + p.repo.name); return { hi: 1 }; }\n");
  }

  /** Waits until {@code condition} holds; the deadline is generous, the check frequent. */
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

  @Test
  void asyncAnswers202WithTheDeliveryIdOnceJournaledThenRunsItWithThatId() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.async(data, 3),
        server -> {
          HttpResponse<String> response = server.post("ok", PUSH);

          String id = response.headers().firstValue("X-Delivery-Id").orElseThrow();
          assertThat(response.statusCode()).isEqualTo(202);
          assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
          assertThat(response.body())
              .isEqualTo("{\"delivery\":\"" + id + "\",\"status\":\"queued\"}");
          assertThat(server.journal().find(id)).as("recorded before the answer").isPresent();

          eventually("the delivery ran", () -> status(server, id) == Status.SUCCEEDED);
          assertThat(Files.readString(handlers.resolve("ran-" + id)).strip()).isEqualTo(id);
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.summary().attempts()).isEqualTo(1);
          assertThat(record.output()).isEqualTo("{\"ok\": true}\n");
          assertThat(record.body()).isEqualTo(PUSH);
        });
  }

  @Test
  void asyncRetriesAFailingHandlerUntilItSucceeds() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.async(data, 3),
        server -> {
          String id =
              server.post("flaky", PUSH).headers().firstValue("X-Delivery-Id").orElseThrow();

          eventually("the third attempt succeeded", () -> status(server, id) == Status.SUCCEEDED);
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.summary().attempts()).isEqualTo(3);
          assertThat(record.attempts())
              .extracting(a -> a.status().label() + " " + a.exitStatus())
              .containsExactly("failed 1", "failed 1", "succeeded 0");
          assertThat(server.log()).contains("[flaky] not yet (2)").contains("retry 2 of 3");
        });
  }

  @Test
  void asyncMarksADeliveryFailedOnceItsRetriesAreUsedUp() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.async(data, 2),
        server -> {
          String id = server.post("fail", PUSH).headers().firstValue("X-Delivery-Id").orElseThrow();

          eventually("the retries were used up", () -> status(server, id) == Status.FAILED);
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.summary().attempts()).isEqualTo(3);
          assertThat(record.summary().exitStatus()).isEqualTo(3);
          assertThat(record.summary().error()).isEqualTo("fail exited with status 3");
          assertThat(record.stderr()).isEqualTo("boom");
          assertThat(server.log()).contains("no retries left, giving up");
        });
  }

  @Test
  void aSynchronousDeliveryIsJournaledWithItsOutcomeAndWithoutTheSecret() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          HttpResponse<String> failed = server.post("fail", PUSH);
          HttpResponse<String> js = server.post("hello", PUSH);

          String id = failed.headers().firstValue("X-Delivery-Id").orElseThrow();
          assertThat(failed.statusCode()).isEqualTo(500);
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.summary())
              .extracting(
                  DeliverySummary::handler,
                  DeliverySummary::status,
                  DeliverySummary::attempts,
                  DeliverySummary::exitStatus)
              .containsExactly("fail", Status.FAILED, 1, 3);
          assertThat(record.stderr()).isEqualTo("boom");
          assertThat(record.headers())
              .containsKey("user-agent")
              .doesNotContainKey("x-webhook-secret");
          assertThat(record.headers().values()).noneMatch(v -> v.contains(ServerHarness.SECRET));

          String jsId = js.headers().firstValue("X-Delivery-Id").orElseThrow();
          DeliveryRecord jsRecord = server.journal().find(jsId).orElseThrow();
          assertThat(js.statusCode()).isEqualTo(200);
          assertThat(jsRecord.summary().status()).isEqualTo(Status.SUCCEEDED);
          assertThat(jsRecord.summary().exitStatus()).isNull();
          assertThat(jsRecord.output()).isEqualTo("{\"hi\":1}");
          assertThat(jsRecord.stderr()).isEqualTo("hi acme/sentiment-model");
        });
  }

  @Test
  void requestsRefusedBeforeAHandlerIsChosenAreNotJournaled() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          HttpResponse<String> wrongSecret =
              server.send(
                  HttpRequest.newBuilder(URI.create(server.url("/webhooks/ok")))
                      .header("X-Webhook-Secret", "wrong")
                      .POST(HttpRequest.BodyPublishers.ofByteArray(PUSH)));
          HttpResponse<String> notJson = server.post("ok", "nope".getBytes(StandardCharsets.UTF_8));

          assertThat(wrongSecret.statusCode()).isEqualTo(403);
          assertThat(notJson.statusCode()).isEqualTo(400);
          assertThat(server.journal().list(Query.newest(10))).isEmpty();
        });
  }

  @Test
  void theJournalKeepsOnlyTheNewestDeliveriesItIsToldTo() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data).keep(new Retention(3, null)),
        server -> {
          List<String> ids = new ArrayList<>();
          for (int i = 0; i < 7; i++) {
            ids.add(server.post("hello", PUSH).headers().firstValue("X-Delivery-Id").orElseThrow());
          }

          assertThat(server.journal().list(Query.newest(100)))
              .extracting(DeliverySummary::id)
              .containsExactly(ids.get(6), ids.get(5), ids.get(4));
        });
  }

  @Test
  void theLandingPageListsTheNewestDeliveriesWithTheirStatus() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          String failed =
              server.post("fail", PUSH).headers().firstValue("X-Delivery-Id").orElseThrow();
          String ok =
              server.post("hello", PUSH).headers().firstValue("X-Delivery-Id").orElseThrow();

          String page = server.send(HttpRequest.newBuilder(URI.create(server.url("/")))).body();

          assertThat(page).contains(">Recent deliveries</h2>");
          assertThat(page.indexOf(ok)).as("newest first").isLessThan(page.indexOf(failed));
          assertThat(page)
              .containsPattern(
                  "<td>hello</td><td><span class=\"status succeeded\">succeeded</span></td><td>1</td>")
              .containsPattern(
                  "<td>fail</td><td><span class=\"status failed\">failed</span></td><td>1</td>");
        });
  }

  @Test
  void healthSaysHowManyDeliveriesWait() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.async(data, 0),
        server -> {
          String health =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/healthz")))).body();

          assertThat(Json.tryParse(health).orElseThrow().get("queued").asInt()).isZero();
        });
  }
}
