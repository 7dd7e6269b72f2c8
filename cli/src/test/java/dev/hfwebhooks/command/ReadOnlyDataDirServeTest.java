package dev.hfwebhooks.command;

import static dev.hfwebhooks.command.NoteServer.awaitTrue;
import static dev.hfwebhooks.command.NoteServer.count;
import static dev.hfwebhooks.command.NoteServer.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.command.CliTest.Run;
import dev.hfwebhooks.testing.Ext4Image;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The data dir's disk turning read-only under a running serve (issue 20), as an ext4 error does
 * under {@code errors=remount-ro}: unlike a full disk, the log cannot keep deliveries there (its
 * pages would stay in memory), so serve says so once and answers 503 with the reason; what it
 * recorded before stays, and the stop is clean.
 */
class ReadOnlyDataDirServeTest {

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aDiskTurnedReadOnlyIsSaidOnceAndRefusedWithTheReason(
      boolean async, @TempDir Path handlers, @TempDir Path work) throws Exception {
    Fixtures.write(
        handlers, "note.js", "function handle(payload, context) { return { ok: true }; }\n");
    Path data = work.resolve("data");
    List<String> options =
        new ArrayList<>(List.of("--data-dir", data.toString(), "--dir", handlers.toString()));
    if (async) {
      options.add("--async");
    }
    int accepted = async ? 202 : 200;
    HttpClient client = HttpClient.newHttpClient();
    try (Ext4Image disk = Ext4Image.mount(work.resolve("disk.img"), data, 64)) {
      List<String> before = new ArrayList<>();
      ServeProcess server = ServeProcess.start(Map.of(), options.toArray(String[]::new));
      try {
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> r = post(client, server);
          assertThat(r.statusCode()).as(r.body()).isEqualTo(accepted);
          before.add(r.headers().firstValue("X-Delivery-Id").orElseThrow());
        }
        awaitTrue(() -> deliveriesSeen(server) >= 3, server); // committed, not only logged
        // On the disk, as the kernel's writeback puts it within seconds: what a failing disk
        // never got (the last commits before it failed) is lost as in a power cut, whatever
        // serve does, and is not what this test is about.
        disk.flush();

        disk.failToReadOnly();
        // The first delivery after may still be answered: serve learns of the disk at the
        // database's next commit. Within seconds, each is refused, saying why.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> r = post(client, server);
        while (r.statusCode() != 503 && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(50);
          r = post(client, server);
        }
        for (int i = 0; i < 3; i++) {
          r = post(client, server);
          assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
          assertThat(r.body()).contains("could not be recorded (Read-only file system)");
        }
        awaitTrue(() -> server.log().contains("cannot record"), server);
        // Said once: by the refusals (the log's sync failed first, with --async), and at most
        // once by the journal (its database's commit failed first).
        assertThat(count(server.log(), "cannot record")).as(server.log()).isEqualTo(1);
        assertThat(count(server.log(), "warning: the data dir")).isLessThanOrEqualTo(1);
      } finally {
        server.close();
      }
      assertThat(server.process().exitValue()).as(server.log()).isEqualTo(143);
      assertThat(server.log()).doesNotContain("Exception").endsWith("Stopped.");

      // Repaired and mounted again: every delivery recorded before the disk failed is there.
      disk.remount();
      Run list = CliTest.run("deliveries", "--data-dir", data.toString(), "--limit", "100");
      assertThat(list.exit()).as(list.err()).isEqualTo(ExitCode.OK);
      assertThat(list.out()).contains(before);
      try (ServeProcess next = ServeProcess.start(Map.of(), options.toArray(String[]::new))) {
        assertThat(post(client, next).statusCode()).isEqualTo(accepted);
      }
    }
  }

  /** The deliveries the console's API lists: what the database (not only the log) holds. */
  private static int deliveriesSeen(ServeProcess server) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      String body =
          client
              .send(
                  HttpRequest.newBuilder(URI.create(server.url() + "/api/deliveries")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return (int) body.split("\"id\"", -1).length - 1;
    }
  }
}
