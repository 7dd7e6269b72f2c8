package dev.hfwebhooks.flow;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.Query;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code @filter} on the real server: which deliveries run, and how the others are answered. */
class FilterServerTest {
  @TempDir Path handlers;
  @TempDir Path data;

  static final String DATASET_PUSH = "dataset-repo-content-update.json"; // refs main and v1.1
  static final String MODEL_PUSH = "model-repo-content-update.json"; // ref main only
  static final String PULL_REQUEST = "discussion-create-pull-request.json"; // num 7
  static final String COMMENT = "discussion-comment-create.json"; // not a PR, num 3
  static final String REPO_CREATE = "repo-create.json"; // acme/sentiment-model-v2, no refs

  /** Filter, sample payload, whether the handler runs. */
  static Stream<Arguments> scenarios() {
    return Stream.of(
        Arguments.of("repo.type == dataset", DATASET_PUSH, true),
        Arguments.of("repo.type == dataset", MODEL_PUSH, false),
        Arguments.of("repo.type != dataset", MODEL_PUSH, true),
        Arguments.of("repo.type != dataset", DATASET_PUSH, false),
        Arguments.of("event.action in create,update", REPO_CREATE, true),
        Arguments.of("event.action in create, update", MODEL_PUSH, true),
        Arguments.of("event.action in delete,move", MODEL_PUSH, false),
        Arguments.of("repo.name ~ acme/*", MODEL_PUSH, true),
        Arguments.of("repo.name ~ *-v2", REPO_CREATE, true),
        Arguments.of("repo.name ~ *-v2", MODEL_PUSH, false),
        Arguments.of("repo.name ~ acme/*model", MODEL_PUSH, true),
        Arguments.of("repo.name ~ other/*", MODEL_PUSH, false),
        // Through an array: any element matches; != holds when none equals.
        Arguments.of("updatedRefs.ref == refs/tags/v1.1", DATASET_PUSH, true),
        Arguments.of("updatedRefs.ref == refs/tags/v1.1", MODEL_PUSH, false),
        Arguments.of("updatedRefs.ref == refs/heads/main", DATASET_PUSH, true),
        Arguments.of("updatedRefs.ref ~ refs/tags/*", DATASET_PUSH, true),
        Arguments.of("updatedRefs.ref in refs/heads/dev,refs/tags/v1.1", DATASET_PUSH, true),
        Arguments.of("updatedRefs.ref != refs/heads/main", DATASET_PUSH, false),
        Arguments.of("updatedRefs.ref != refs/heads/main", REPO_CREATE, true),
        // A field the payload lacks equals nothing.
        Arguments.of("updatedRefs.ref == refs/heads/main", REPO_CREATE, false),
        Arguments.of("discussion.isPullRequest == true", PULL_REQUEST, true),
        Arguments.of("discussion.isPullRequest == true", COMMENT, false),
        Arguments.of("discussion.isPullRequest == true", MODEL_PUSH, false),
        Arguments.of("discussion.num == 7", PULL_REQUEST, true),
        Arguments.of("discussion.num in 1,2,3", COMMENT, true),
        Arguments.of("repo.owner.id == 6380b0fb5e9d8a5fbc1e2d3c", MODEL_PUSH, false),
        Arguments.of("updatedConfig.private == true", MODEL_PUSH, false));
  }

  @ParameterizedTest(name = "@filter {0} on {1}: runs {2}")
  @MethodSource("scenarios")
  void eachOperatorOnTheSamplePayloads(String filter, String sample, boolean runs)
      throws Exception {
    write(
        handlers,
        "only.js",
        "// @filter " + filter + "\nfunction handle(p) { return { ran: p.repo.name }; }\n");
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          HttpResponse<String> response = server.post("only", payload(sample));

          assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
          JsonNode answer = Json.tryParse(response.body()).orElseThrow();
          String id = response.headers().firstValue("X-Delivery-Id").orElseThrow();
          if (runs) {
            assertThat(answer.has("ran")).as(response.body()).isTrue();
          } else {
            assertThat(Json.write(answer))
                .isEqualTo(
                    "{\"status\":\"filtered\",\"delivery\":\"%s\",\"filter\":\"@filter %s\"}"
                        .formatted(id, filter));
          }
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.summary().status())
              .isEqualTo(runs ? Status.SUCCEEDED : Status.FILTERED);
        });
  }

  @Test
  void severalFiltersMustAllHoldAndTheFailedLineIsRecorded() throws Exception {
    write(
        handlers,
        "retrain.sh",
        """
        #!/bin/sh
        # @filter repo.type == dataset
        # @filter updatedRefs.ref == refs/heads/dev
        touch "ran-$WEBHOOK_DELIVERY_ID"
        echo '{}'
        """);
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          HttpResponse<String> response = server.post("retrain", payload(DATASET_PUSH));

          String id = response.headers().firstValue("X-Delivery-Id").orElseThrow();
          assertThat(response.body())
              .contains("\"filter\":\"@filter updatedRefs.ref == refs/heads/dev\"");
          assertThat(handlers.resolve("ran-" + id)).doesNotExist();
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.summary().status()).isEqualTo(Status.FILTERED);
          assertThat(record.summary().error())
              .isEqualTo("@filter updatedRefs.ref == refs/heads/dev (line 3) does not hold");
          assertThat(record.summary().note()).isEqualTo(record.summary().error());
          assertThat(server.log())
              .contains(
                  "POST /webhooks/retrain 200",
                  "(filtered: @filter updatedRefs.ref == refs/heads/dev)");
          assertThat(server.journal().list(new Query(null, Status.FILTERED, 10)))
              .extracting(d -> d.id())
              .containsExactly(id);
        });
  }

  @Test
  void aPythonHandlerIsFilteredTheSameWay() throws Exception {
    write(
        handlers,
        "py.py",
        """
        # @filter repo.name ~ acme/sentiment-*
        def handle(payload, context):
            return {"ran": payload["repo"]["name"]}
        """);
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          assertThat(server.post("py", payload(DATASET_PUSH)).body())
              .contains("\"status\":\"filtered\"");
          assertThat(server.post("py", payload(MODEL_PUSH)).body())
              .isEqualTo("{\"ran\": \"acme/sentiment-model\"}");
        });
  }

  @Test
  void withAsyncAFilteredDeliveryIsAnswered200AndNeverQueued() throws Exception {
    write(
        handlers,
        "later.sh",
        "#!/bin/sh\n# @filter repo.type == space\ntouch \"ran-$WEBHOOK_DELIVERY_ID\"\n");
    ServerHarness.test(
        handlers,
        Recording.async(data, 0),
        server -> {
          HttpResponse<String> response = server.post("later", payload(MODEL_PUSH));

          assertThat(response.statusCode()).isEqualTo(200);
          assertThat(response.body()).contains("\"status\":\"filtered\"");
          String id = response.headers().firstValue("X-Delivery-Id").orElseThrow();
          assertThat(server.journal().find(id).orElseThrow().summary().status())
              .isEqualTo(Status.FILTERED);
          assertThat(server.queue().pending()).isZero();
        });
  }

  @Test
  void aMalformedDirectiveKeepsTheHandlerFromRunningAndSaysWhere() throws Exception {
    Path file =
        write(
            handlers,
            "typo.sh",
            "#!/bin/sh\n# @filter repo.typ == dataset\ntouch \"ran-$WEBHOOK_DELIVERY_ID\"\n");
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          HttpResponse<String> response = server.post("typo", payload(DATASET_PUSH));

          String id = response.headers().firstValue("X-Delivery-Id").orElseThrow();
          String problem =
              file
                  + " line 2: \"repo.typ\" can never be in a v3 payload: repo has no field \"typ\""
                  + " (it has headSha, id, name, owner, private, subdomain, tags, type, url)";
          assertThat(response.statusCode()).isEqualTo(500);
          assertThat(Json.tryParse(response.body()).orElseThrow().get("error").asText())
              .isEqualTo(problem);
          assertThat(handlers.resolve("ran-" + id)).doesNotExist();
          assertThat(server.journal().find(id).orElseThrow().summary().error()).isEqualTo(problem);

          // The console shows it broken, with the reason.
          HttpResponse<String> page =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/console"))));
          assertThat(page.body()).contains("state broken").contains("line 2: &quot;repo.typ&quot;");
        });
  }

  @Test
  void theConsoleShowsTheFiltersAndWhyADeliveryWasFiltered() throws Exception {
    write(
        handlers,
        "main.js",
        "// @watch model:acme/sentiment-model\n// @filter updatedRefs.ref == refs/heads/main\n"
            + "function handle() { return {}; }\n");
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          server.post("main", payload(REPO_CREATE));

          String page =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/console")))).body();
          String list =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/api/deliveries")))).body();

          assertThat(page)
              .contains("<dt>Flow control</dt>")
              .contains("<code>@filter updatedRefs.ref == refs/heads/main</code>")
              .contains(
                  "<span class=\"status filtered\">filtered</span><br><small class=\"note\">"
                      + "@filter updatedRefs.ref == refs/heads/main (line 2) does not hold</small>");
          assertThat(list)
              .contains(
                  "\"status\":\"filtered\",\"attempts\":1,\"durationMs\":0,"
                      + "\"note\":\"@filter updatedRefs.ref == refs/heads/main (line 2) does not hold\"");
        });
  }

  @Test
  void replayFromTheConsoleRunsAFilteredDeliveryAnywayAndSaysSo() throws Exception {
    write(
        handlers,
        "main.sh",
        "#!/bin/sh\n# @filter repo.type == space\ntouch \"ran-$WEBHOOK_DELIVERY_ID\"\necho '{}'\n");
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          String id =
              server
                  .post("main", payload(MODEL_PUSH))
                  .headers()
                  .firstValue("X-Delivery-Id")
                  .orElseThrow();
          assertThat(handlers.resolve("ran-" + id)).doesNotExist();

          HttpResponse<String> replay =
              server.send(
                  HttpRequest.newBuilder(
                          URI.create(server.url("/api/deliveries/" + id + "/replay")))
                      .header("X-Webhook-Secret", ServerHarness.SECRET)
                      .POST(HttpRequest.BodyPublishers.noBody()));

          assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
          assertThat(replay.body())
              .contains(
                  "\"note\":\"it was filtered when it arrived (@filter repo.type == space (line 2)"
                      + " does not hold); replay runs it anyway\"")
              .contains("\"attempt\":2,\"status\":\"succeeded\"");
          assertThat(Files.exists(handlers.resolve("ran-" + id))).isTrue();
        });
  }

  @Test
  void anEditedFilterTakesEffectWhenTheFolderIsScannedAgain() throws Exception {
    write(handlers, "edit.js", "function handle() { return {}; }\n");
    try (Handlers served = new Handlers(Fixtures.scan(handlers))) {
      assertThat(served.declared("edit").orElseThrow().flow()).isEqualTo(Flow.NONE);

      write(
          handlers, "edit.js", "// @filter repo.type == space\nfunction handle() { return {}; }\n");
      served.rescan(line -> {}); // what serve's folder watch calls on every change

      assertThat(served.declared("edit").orElseThrow().flow().describe())
          .containsExactly("@filter repo.type == space");
    }
  }
}
