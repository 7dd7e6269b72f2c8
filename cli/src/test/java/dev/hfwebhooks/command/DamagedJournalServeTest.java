package dev.hfwebhooks.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServeProcess;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real serve killed with SIGKILL, its journal then damaged: the next serve refuses in one line
 * that says what to do, and doing it lets serve start again.
 */
class DamagedJournalServeTest {

  @Test
  void aDamagedJournalStopsServeWithOneLineAndMovingItAwayLetsServeStart(
      @TempDir Path handlers, @TempDir Path data) throws Exception {
    Files.writeString(
        handlers.resolve("note.js"),
        "function handle(payload, context) { return { id: context.deliveryId }; }\n");
    String[] options = {"--data-dir", data.toString(), "--dir", handlers.toString()};
    HttpClient client = HttpClient.newHttpClient();
    ServeProcess server = ServeProcess.start(Map.of(), options);
    try {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> response =
            client.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/webhooks/note"))
                    .POST(
                        HttpRequest.BodyPublishers.ofByteArray(
                            Fixtures.payload("repo-create.json")))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      }
    } finally {
      server.kill();
    }
    Path journal = data.resolve("journal.db");
    try (RandomAccessFile f = new RandomAccessFile(journal.toFile(), "rw")) {
      f.setLength(f.length() / 2); // as a disk that lost the file's end leaves it
    }
    Files.deleteIfExists(data.resolve("journal.db-wal")); // and the rest of it with it

    Process refused = run(options);
    String output = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(refused.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(refused.exitValue()).as(output).isEqualTo(1);
    // The JVM's own warnings (native access, Unsafe in GraalJS) are the test's launch, not serve's.
    List<String> lines =
        output.lines().filter(line -> !line.isBlank() && !line.startsWith("WARNING:")).toList();
    assertThat(lines)
        .as(output)
        .containsExactly(
            "error: the journal %s is damaged: move it away (a new one is made), or pass another"
                    .formatted(journal)
                + " --data-dir");

    Files.move(journal, data.resolve("journal.db.damaged"));
    try (ServeProcess again = ServeProcess.start(Map.of(), options)) {
      assertThat(again.log()).contains("Running on local URL");
      assertThat(journal).as("a new journal").exists();
    }
  }

  /** serve as a process of its own, which is expected to stop by itself. */
  private static Process run(String... options) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.hfwebhooks.Main"));
    command.addAll(List.of("serve", "--port", "0"));
    command.addAll(List.of(options));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }
}
