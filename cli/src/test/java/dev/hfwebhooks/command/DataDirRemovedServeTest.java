package dev.hfwebhooks.command;

import static dev.hfwebhooks.command.NoteServer.awaitTrue;
import static dev.hfwebhooks.command.NoteServer.count;
import static dev.hfwebhooks.command.NoteServer.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServeProcess;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data dir deleted (rm -rf) while serve uses it (issue 20): the open files would take
 * deliveries only to lose them at the stop, so serve says once that the journal is gone and answers
 * 503 with the reason until it is started again; the stop stays clean.
 */
class DataDirRemovedServeTest {

  @Test
  void aRemovedDataDirIsSaidOnceAndRefusesDeliveriesUntilTheNextStart(
      @TempDir Path handlers, @TempDir Path parent) throws Exception {
    Fixtures.write(
        handlers, "note.js", "function handle(payload, context) { return { ok: true }; }\n");
    Path data = parent.resolve("data");
    String[] options = {"--data-dir", data.toString(), "--dir", handlers.toString()};
    HttpClient client = HttpClient.newHttpClient();
    ServeProcess server = ServeProcess.start(Map.of(), options);
    try {
      assertThat(post(client, server).statusCode()).isEqualTo(200);
      try (Stream<Path> files = Files.walk(data)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
      awaitTrue(() -> server.log().contains("was removed while serving"), server);
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = post(client, server);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.body()).contains("the journal's data dir was removed");
      }
      // The warning above says "503" too: wait for the refusals' own line.
      awaitTrue(() -> server.log().contains("cannot record"), server);
      assertThat(count(server.log(), "until serve is started again")).isEqualTo(1);
      assertThat(count(server.log(), "cannot record")).as(server.log()).isEqualTo(1);
    } finally {
      server.close();
    }
    assertThat(server.process().exitValue()).as(server.log()).isEqualTo(143);
    assertThat(server.log()).doesNotContain("Exception").endsWith("Stopped.");
    // The next start makes a new journal, and records again.
    try (ServeProcess next = ServeProcess.start(Map.of(), options)) {
      assertThat(post(client, next).statusCode()).isEqualTo(200);
    }
  }
}
