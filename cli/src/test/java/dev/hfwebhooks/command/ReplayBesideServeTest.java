package dev.hfwebhooks.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.command.CliTest.Run;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalStore;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.postgres.PostgresUrl;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.Postgres;
import dev.hfwebhooks.testing.ServeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replay} of a delivery a real {@code serve --async} still has queued or running: refused
 * with one line, exit 1, and the handler does not run a second time at once; once serve has run it,
 * the replay runs. With either journal.
 */
class ReplayBesideServeTest {
  private static Postgres postgres;

  @TempDir Path handlers;
  @TempDir Path work;

  @BeforeAll
  static void database() {
    postgres = Postgres.database(ReplayBesideServeTest.class);
  }

  @AfterAll
  static void drop() {
    postgres.close();
  }

  @Test
  void aDeliveryTheSqliteServeHasQueuedOrRunningIsNotReplayedUntilItHasRun() throws Exception {
    Path data = work.resolve("data");
    refusedWhileServeHasItThenReplayed(
        Map.of(), List.of("--data-dir", data.toString()), JournalStore.of(null, data));
  }

  @Test
  void aDeliveryThePostgresServeHasQueuedOrRunningIsNotReplayedUntilItHasRun() throws Exception {
    PostgresUrl url = postgres.freshSchema();
    String typed = Postgres.typed(url);
    refusedWhileServeHasItThenReplayed(
        Map.of("HF_WEBHOOKS_JOURNAL", typed),
        List.of("--journal", typed),
        JournalStore.of(typed, null));
  }

  private void refusedWhileServeHasItThenReplayed(
      Map<String, String> env, List<String> journal, JournalStore store) throws Exception {
    Path runs = work.resolve("runs.log");
    Path gate = work.resolve("gate");
    Fixtures.gatedScript(handlers, "slow.sh", runs, gate);
    List<String> options = new ArrayList<>(List.of("--async", "--workers", "1"));
    options.addAll(List.of("--dir", handlers.toString()));
    if (journal.get(0).equals("--data-dir")) {
      options.addAll(journal);
    }
    try (ServeProcess serve = ServeProcess.start(env, options.toArray(String[]::new))) {
      String running = post(serve);
      String queued = post(serve);
      awaitStatus(store, running, Status.RUNNING);
      awaitStatus(store, queued, Status.QUEUED);

      Run replayRunning = replay(running, journal);
      Run replayQueued = replay(queued, journal);

      assertThat(replayRunning.exit()).as(replayRunning.err()).isEqualTo(ExitCode.FAILURE);
      assertThat(replayRunning.err().strip())
          .startsWith("error: delivery " + running + " is running in ")
          .contains("replayed now it would run twice at once")
          .doesNotContain("\n");
      assertThat(replayQueued.exit()).as(replayQueued.err()).isEqualTo(ExitCode.FAILURE);
      assertThat(replayQueued.err()).contains("delivery " + queued + " is queued in ");
      assertThat(Files.readAllLines(runs)).containsExactly(running);

      Files.createFile(gate);
      awaitStatus(store, running, Status.SUCCEEDED);
      awaitStatus(store, queued, Status.SUCCEEDED);
      Run replayDone = replay(running, journal);

      assertThat(replayDone.exit()).as(replayDone.err()).isEqualTo(ExitCode.OK);
      assertThat(replayDone.out()).contains("Recorded as attempt 2: succeeded.");
      assertThat(Files.readAllLines(runs)).containsExactly(running, queued, running);
    }
  }

  @Test
  void aServeStartedDuringALoneReplayWaitsForItAndDoesNotRunTheDeliveryAgain() throws Exception {
    Path data = work.resolve("data");
    Path runs = work.resolve("runs.log");
    Path gate = work.resolve("gate");
    Fixtures.gatedScript(handlers, "slow.sh", runs, gate);
    List<String> journal = List.of("--data-dir", data.toString());
    String[] options = {"--async", "--dir", handlers.toString(), "--data-dir", data.toString()};
    String id;
    try (ServeProcess first = ServeProcess.start(Map.of(), options)) {
      Files.createFile(gate);
      id = post(first);
      awaitStatus(JournalStore.of(null, data), id, Status.SUCCEEDED);
    }
    Files.delete(gate);

    var replaying = java.util.concurrent.CompletableFuture.supplyAsync(() -> replay(id, journal));
    awaitLines(runs, 2); // the replay's run has begun, and the journal says running
    try (ServeProcess serve = ServeProcess.launch(Map.of(), options)) {
      NoteServer.awaitTrue(
          () -> serve.log().contains("Waiting for hf-webhooks replay (pid "), serve);
      assertThat(serve.log()).doesNotContain("Running on");
      Files.createFile(gate);
      Run replayed = replaying.get(1, TimeUnit.MINUTES);
      assertThat(replayed.exit()).as(replayed.err()).isEqualTo(ExitCode.OK);
      serve.awaitReady();
      awaitStatus(JournalStore.of(null, data), id, Status.SUCCEEDED);
      TimeUnit.SECONDS.sleep(1); // the time serve would take to run it again, were it to
      assertThat(Files.readAllLines(runs)).containsExactly(id, id);
    }
  }

  private static void awaitLines(Path file, int lines) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (!Files.exists(file) || Files.readAllLines(file).size() < lines) {
      assertThat(System.nanoTime()).as("%d lines in %s", lines, file).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private Run replay(String id, List<String> journal) {
    List<String> args = new ArrayList<>(List.of("replay", id, "--dir", handlers.toString()));
    args.addAll(journal);
    return CliTest.run(args.toArray(String[]::new));
  }

  private static String post(ServeProcess serve) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> answer =
          client.send(
              HttpRequest.newBuilder(URI.create(serve.url() + "/webhooks/slow"))
                  .POST(
                      HttpRequest.BodyPublishers.ofByteArray(Fixtures.payload("repo-create.json")))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
      return answer.headers().firstValue("X-Delivery-Id").orElseThrow();
    }
  }

  /** Waits (at most a minute) until the journal, as another process reads it, says {@code want}. */
  private static void awaitStatus(JournalStore store, String id, Status want) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    Status seen = null;
    while (System.nanoTime() < deadline) {
      try (Journal journal = store.openForReading()) {
        seen = journal.find(id).map(r -> r.summary().status()).orElse(null);
      }
      if (seen == want) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    assertThat(seen).as("status of %s", id).isEqualTo(want);
  }
}
