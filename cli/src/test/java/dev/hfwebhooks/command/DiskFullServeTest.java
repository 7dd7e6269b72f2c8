package dev.hfwebhooks.command;

import static dev.hfwebhooks.command.NoteServer.awaitTrue;
import static dev.hfwebhooks.command.NoteServer.count;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServeProcess;
import dev.hfwebhooks.testing.Tmpfs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * serve on a small tmpfs whose disk fills while it serves (issue 20): each delivery is answered 2xx
 * or 503 with a reason, the log says so once, deliveries are taken again once there is room, and
 * after a clean stop {@code deliveries} lists every delivery that got a 2xx, whole.
 */
class DiskFullServeTest {
  /** Bodies this large fill a 16 MiB log file in a few deliveries, so the log must move on. */
  private static final int PADDING = 3 << 20;

  @ParameterizedTest(name = "async={0}")
  @ValueSource(booleans = {false, true})
  void aFullDiskRefusesWithAReasonLosesNothingAndRecoversByItself(
      boolean async, @TempDir Path handlers, @TempDir Path mountPoint) throws Exception {
    Fixtures.write(
        handlers, "note.js", "function handle(payload, context) { return { ok: true }; }\n");
    try (Tmpfs disk = Tmpfs.mount(mountPoint, 96)) {
      Path data = disk.dir().resolve("data");
      List<String> options =
          new ArrayList<>(List.of("--data-dir", data.toString(), "--dir", handlers.toString()));
      options.addAll(List.of("--max-body", "4MiB"));
      if (async) {
        options.add("--async");
      }
      HttpClient client = HttpClient.newHttpClient();
      Map<String, Integer> answered = new HashMap<>(); // id -> body length, for each 2xx
      Path filler = disk.dir().resolve("filler");
      ServeProcess server = ServeProcess.start(Map.of(), options.toArray(String[]::new));
      try {
        post(client, server, 0, answered);
        // The spare log file, made after the first commit: filled, the disk has none to give.
        awaitTrue(() -> Files.exists(data.resolve("journal.db-log-0")), server);
        Tmpfs.fill(filler);
        int refused = 0;
        for (int i = 0; i < 14; i++) {
          HttpResponse<String> r = post(client, server, PADDING, answered);
          if (r.statusCode() == 503) {
            refused++;
            assertThat(r.body()).contains("could not be recorded").contains("No space left");
          } else {
            assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
          }
        }
        assertThat(refused).as(server.log()).isPositive();
        // The log says it once, not per refused delivery.
        assertThat(count(server.log(), "cannot record")).as(server.log()).isEqualTo(1);
        assertThat(count(server.log(), "kept in its log")).as(server.log()).isEqualTo(1);
        Files.delete(filler);
        // Taken again by itself, without a restart.
        awaitTrue(() -> post(client, server, 1000, answered).statusCode() / 100 == 2, server);
        awaitTrue(() -> server.log().contains("deliveries are recorded again"), server);
        awaitTrue(() -> server.log().contains("takes writes again"), server);
      } finally {
        server.close();
      }
      assertThat(server.process().exitValue()).as(server.log()).isEqualTo(143);
      for (Map.Entry<String, Integer> delivery : answered.entrySet()) {
        CliTest.Run show =
            CliTest.run(
                "deliveries", "show", delivery.getKey(), "--data-dir", data.toString(), "--json");
        assertThat(show.exit()).as(show.err() + "\n" + server.log()).isZero();
        JsonNode shown = Json.MAPPER.readTree(show.out());
        assertThat(shown.path("payload").path("padding").asText().length())
            .as("the body of %s", delivery.getKey())
            .isEqualTo(delivery.getValue());
        assertThat(shown.path("status").asText())
            .as(show.out().substring(0, 200))
            .isIn(async ? List.of("queued", "succeeded") : List.of("succeeded"));
      }
    }
  }

  /** Posts a delivery padded with {@code padding} bytes; records its id when it got a 2xx. */
  private static HttpResponse<String> post(
      HttpClient client, ServeProcess server, int padding, Map<String, Integer> answered)
      throws Exception {
    ObjectNode payload = (ObjectNode) Json.MAPPER.readTree(Fixtures.payload("repo-create.json"));
    payload.put("padding", "x".repeat(padding));
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create(server.url() + "/webhooks/note"))
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(payload)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 == 2) {
      answered.put(r.headers().firstValue("X-Delivery-Id").orElseThrow(), padding);
    }
    return r;
  }
}
