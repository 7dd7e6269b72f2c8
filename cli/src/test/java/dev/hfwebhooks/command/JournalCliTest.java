package dev.hfwebhooks.command;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.command.CliTest.Run;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DataDir;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import dev.hfwebhooks.journal.sqlite.SqliteJournal;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.testing.Gen;
import dev.hfwebhooks.testing.Generated;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deliveries}, {@code deliveries show}, {@code replay} and serve's journal options,
 * in-process.
 */
class JournalCliTest {
  @TempDir Path handlers;
  @TempDir Path data;

  private static final byte[] PUSH = payload("model-repo-content-update.json");
  private Path file;

  @BeforeEach
  void writeHandlers() {
    write(
        handlers,
        "deploy.sh",
        "#!/bin/sh\necho \"deploying $WEBHOOK_DELIVERY_ID\" >&2\necho \"{\\\"id\\\": \\\"$WEBHOOK_DELIVERY_ID\\\"}\"\n");
    write(handlers, "broken.sh", "#!/bin/sh\necho 'still broken' >&2\nexit 5\n");
    file = DataDir.journal(data);
  }

  /** Records a finished delivery as serve would; returns its id. */
  private String recorded(String handler, Status status, Instant received) {
    String id = UUID.randomUUID().toString();
    try (SqliteJournal journal = SqliteJournal.open(file, Retention.DEFAULT)) {
      NewDelivery d =
          new NewDelivery(
              id,
              received,
              handler,
              PUSH,
              Map.of("content-type", "application/json", "x-request-id", "r-1"));
      int n = journal.acceptRunning(d);
      journal.finish(
          id,
          n,
          status == Status.SUCCEEDED
              ? new AttemptResult(Status.SUCCEEDED, 0, 21, null, "{\"done\":1}", "all good")
              : new AttemptResult(
                  status, 5, 34, handler + " exited with status 5", null, "still broken"),
          status);
    }
    return id;
  }

  private Run run(String... args) {
    return CliTest.run(args);
  }

  @Test
  void deliveriesListsNewestFirstAsATableOrJson() {
    Instant t = Instant.parse("2026-11-27T10:00:00Z");
    String first = recorded("deploy", Status.SUCCEEDED, t);
    String second = recorded("broken", Status.FAILED, t.plusSeconds(60));

    Run table = run("deliveries", "--data-dir", data.toString());
    Run json = run("deliveries", "--data-dir", data.toString(), "--json");

    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out().lines())
        .containsExactly(
            "ID                                    RECEIVED              HANDLER  STATUS     ATTEMPTS  DURATION",
            second + "  2026-11-27T10:01:00Z  broken   failed            1     34 ms",
            first + "  2026-11-27T10:00:00Z  deploy   succeeded         1     21 ms");
    assertThat(json.exit()).isZero();
    JsonNode array = Json.tryParse(json.out()).orElseThrow();
    assertThat(array).hasSize(2);
    assertThat(Json.write(array.get(0)))
        .isEqualTo(
            "{\"id\":\""
                + second
                + "\",\"handler\":\"broken\",\"status\":\"failed\",\"attempts\":1,"
                + "\"received\":\"2026-11-27T10:01:00Z\",\"duration_ms\":34,\"exit_status\":5,"
                + "\"error\":\"broken exited with status 5\"}");
  }

  @Test
  void deliveriesFiltersByHandlerAndStatusAndLimits() {
    Instant t = Instant.parse("2026-11-27T10:00:00Z");
    String a = recorded("deploy", Status.SUCCEEDED, t);
    String b = recorded("deploy", Status.FAILED, t.plusSeconds(1));
    String c = recorded("broken", Status.FAILED, t.plusSeconds(2));
    String d = recorded("deploy", Status.SUCCEEDED, t.plusSeconds(3));

    Run deploy = run("deliveries", "--data-dir", data.toString(), "--handler", "deploy");
    Run failed = run("deliveries", "--data-dir", data.toString(), "--status", "failed");
    Run limited = run("deliveries", "--data-dir", data.toString(), "--limit", "1");
    Run none = run("deliveries", "--data-dir", data.toString(), "--status", "timed_out");

    assertThat(deploy.out()).contains(a, b, d).doesNotContain(c);
    assertThat(failed.out()).contains(b, c).doesNotContain(a, d);
    assertThat(limited.out()).contains(d).doesNotContain(a, b, c);
    assertThat(none.out()).isEqualTo("No deliveries match in " + file + ".\n");
  }

  @Test
  void deliveriesShowPrintsEverythingRecordedIncludingThePayload() {
    String id = recorded("broken", Status.FAILED, Instant.parse("2026-11-27T10:00:00Z"));

    Run show = run("deliveries", "show", id, "--data-dir", data.toString());
    Run json = run("deliveries", "show", id, "--data-dir", data.toString(), "--json");

    assertThat(show.exit()).as(show.err()).isZero();
    assertThat(show.out())
        .startsWith(
            "delivery  "
                + id
                + "\nhandler   broken\nreceived  2026-11-27T10:00:00Z\nstatus    failed after 1"
                + " attempt\nexit      5\nduration  34 ms\nerror     broken exited with status 5\n")
        .contains("Attempts:\n  1  ")
        .contains("received   failed")
        .contains("Headers:\n  content-type: application/json\n  x-request-id: r-1\n")
        .contains("Payload:\n" + new String(PUSH, StandardCharsets.UTF_8).strip() + "\n")
        .contains("Stderr (the latest attempt's, last part):\n  | still broken\n");
    JsonNode node = Json.tryParse(json.out()).orElseThrow();
    assertThat(node.get("body").asText()).isEqualTo(new String(PUSH, StandardCharsets.UTF_8));
    assertThat(node.get("payload").get("repo").get("name").asText())
        .isEqualTo("acme/sentiment-model");
    assertThat(node.get("attempt_history").get(0).get("trigger").asText()).isEqualTo("received");
    assertThat(node.get("headers").get("x-request-id").asText()).isEqualTo("r-1");
  }

  @Test
  void replayRunsTheRecordedDeliveryAgainWithItsIdAndRecordsTheAttempt() {
    String id = recorded("deploy", Status.FAILED, Instant.now());

    Run replay = run("replay", id, "--dir", handlers.toString(), "--data-dir", data.toString());

    assertThat(replay.exit()).as(replay.out() + replay.err()).isZero();
    assertThat(replay.out())
        .startsWith(
            "Replaying delivery "
                + id
                + " to deploy (process, "
                + handlers.resolve("deploy.sh")
                + "): attempt 2\n")
        .contains("  | deploying " + id + "\n")
        .contains("  200 ok in ")
        .contains("  answer: {\"id\":\"" + id + "\"}")
        .endsWith("Recorded as attempt 2: succeeded.\n");
    try (SqliteJournal journal = SqliteJournal.openForReading(file)) {
      DeliveryRecord record = journal.find(id).orElseThrow();
      assertThat(record.summary().status()).isEqualTo(Status.SUCCEEDED);
      assertThat(record.attempts()).hasSize(2);
      assertThat(record.attempts().getLast().trigger()).isEqualTo(Trigger.REPLAY);
    }
  }

  @Test
  void replayOfAHandlerThatStillFailsExits1AndRecordsTheFailure() {
    String id = recorded("broken", Status.FAILED, Instant.now());

    Run replay = run("replay", id, "--dir", handlers.toString(), "--data-dir", data.toString());

    assertThat(replay.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(replay.out())
        .contains("  | still broken")
        .contains("  500 FAILED in ")
        .contains("  error: broken exited with status 5")
        .endsWith("Recorded as attempt 2: failed.\n");
  }

  @Test
  void anUnknownIdIsExit2ForShowAndReplay() {
    recorded("deploy", Status.SUCCEEDED, Instant.now());

    Run show = run("deliveries", "show", "nope", "--data-dir", data.toString());
    Run replay = run("replay", "nope", "--dir", handlers.toString(), "--data-dir", data.toString());

    for (Run r : new Run[] {show, replay}) {
      assertThat(r.exit()).isEqualTo(ExitCode.USAGE);
      assertThat(r.err())
          .isEqualTo(
              "error: no delivery nope in " + file + " (hf-webhooks deliveries lists them)\n");
    }
  }

  // Found by showTakesAnyIdAndGivesTheDeliveryOrOneErrorLine: a line break in the id split the one
  // error line in two.
  @Test
  void anIdWithALineBreakIsShownEscapedOnTheOneErrorLine() {
    recorded("deploy", Status.SUCCEEDED, Instant.now());

    Run show = run("deliveries", "show", "a\nb", "--data-dir", data.toString());
    Run replay = run("replay", "a\rb", "--dir", handlers.toString(), "--data-dir", data.toString());

    assertThat(show.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(show.err())
        .isEqualTo(
            "error: no delivery a\\nb in " + file + " (hf-webhooks deliveries lists them)\n");
    assertThat(replay.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(replay.err())
        .isEqualTo(
            "error: no delivery a\\rb in " + file + " (hf-webhooks deliveries lists them)\n");
  }

  @Test
  void showTakesAnyIdAndGivesTheDeliveryOrOneErrorLine() {
    String known = recorded("deploy", Status.SUCCEEDED, Instant.now());

    Generated.forAll(
        (Random r) ->
            switch (r.nextInt(6)) {
              case 0 -> known;
              case 1 -> known.toUpperCase(Locale.ROOT);
              case 2 -> known.substring(0, r.nextInt(known.length()));
              case 3 -> known + Gen.text(r, 3);
              case 4 -> Gen.oneOf(r, "%", "_", "*", "' OR '1'='1", "\\", "..", "@", "-", "--help");
              default -> Gen.text(r, 40);
            },
        Generated::shrinkText,
        id -> {
          // An id that looks like an option needs "--" before it, as in any command.
          Run run =
              id.startsWith("-") || id.startsWith("@")
                  ? run("deliveries", "show", "--data-dir", data.toString(), "--", id)
                  : run("deliveries", "show", id, "--data-dir", data.toString());

          // A delivery is found by its id or by any prefix of it that matches no other.
          if (!id.isEmpty() && known.startsWith(id)) {
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.out()).startsWith("delivery  " + known + "\n");
          } else {
            assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(ExitCode.USAGE);
            assertThat(run.err()).startsWith("error: no delivery ").endsWith("\n");
            assertThat(run.err().lines()).hasSize(1);
          }
        });
  }

  @Test
  void replayToAHandlerThatIsGoneIsExit2AndRecordsNothing() throws Exception {
    String id = recorded("deploy", Status.SUCCEEDED, Instant.now());
    Files.delete(handlers.resolve("deploy.sh"));

    Run replay = run("replay", id, "--dir", handlers.toString(), "--data-dir", data.toString());

    assertThat(replay.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(replay.err())
        .isEqualTo(
            "error: no handler named \"deploy\" in "
                + handlers
                + ": delivery "
                + id
                + " was for it (pass the --dir serve used)\n");
    try (SqliteJournal journal = SqliteJournal.openForReading(file)) {
      assertThat(journal.find(id).orElseThrow().attempts()).hasSize(1);
    }
  }

  @Test
  void aMissingJournalIsExit2AndABrokenOneExit1WithOneLine() throws Exception {
    Run missing = run("deliveries", "--data-dir", data.resolve("elsewhere").toString());
    Files.writeString(file, "not a database at all\n".repeat(50));
    Run broken = run("deliveries", "--data-dir", data.toString());
    Run replay = run("replay", "x", "--dir", handlers.toString(), "--data-dir", data.toString());

    assertThat(missing.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(missing.err())
        .isEqualTo(
            "error: no journal at "
                + data.resolve("elsewhere").resolve("journal.db")
                + ": serve records deliveries there (pass --data-dir or --journal to read"
                + " another)\n");
    for (Run r : new Run[] {broken, replay}) {
      assertThat(r.exit()).isEqualTo(ExitCode.FAILURE);
      assertThat(r.err())
          .isEqualTo(
              "error: "
                  + file
                  + " is not an hf-webhooks journal (not an SQLite database): move it away, or"
                  + " pass another --data-dir\n");
    }
  }

  @Test
  void badJournalOptionsAreExit2() {
    Run status = run("deliveries", "--data-dir", data.toString(), "--status", "exploded");
    Run limit = run("deliveries", "--data-dir", data.toString(), "--limit", "0");
    Run keep =
        run("serve", "--dir", handlers.toString(), "--data-dir", data.toString(), "--keep", "lots");
    Run asyncWithout = run("serve", "--dir", handlers.toString(), "--async", "--no-journal");
    Run retries = run("serve", "--dir", handlers.toString(), "--retries", "-1");
    Run delay = run("serve", "--dir", handlers.toString(), "--retry-delay", "soon");

    assertThat(status.err())
        .isEqualTo(
            "error: --status: unknown status \"exploded\": use one of queued, running, succeeded,"
                + " failed, timed_out, filtered, debounced, superseded\n");
    assertThat(limit.err()).isEqualTo("error: --limit must be at least 1, not 0\n");
    assertThat(keep.err())
        .isEqualTo(
            "error: --keep: 'lots' is neither a number of deliveries (5000) nor an age (30d, 12h,"
                + " 90m)\n");
    assertThat(asyncWithout.err())
        .isEqualTo(
            "error: --async needs the journal: a delivery is answered once it is recorded there\n");
    assertThat(retries.err()).isEqualTo("error: --retries must be 0 or more, not -1\n");
    assertThat(delay.err()).contains("'soon' is not a duration; write it like 500ms, 2s, 5m or 1h");
    for (Run r : new Run[] {status, limit, keep, asyncWithout, retries, delay}) {
      assertThat(r.exit()).isEqualTo(ExitCode.USAGE);
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void serveRefusesADataDirAnotherServeUsesBeforeListening() {
    try (DataDir.Lock other = DataDir.lock(data)) {
      Run serve =
          run("serve", "--port", "0", "--dir", handlers.toString(), "--data-dir", data.toString());

      assertThat(serve.exit()).isEqualTo(ExitCode.FAILURE);
      assertThat(serve.err())
          .isEqualTo(
              "error: another hf-webhooks serve (pid %d) uses the data dir %s: stop it, or pass another --data-dir\n"
                  .formatted(ProcessHandle.current().pid(), data));
      assertThat(serve.out()).doesNotContain("Running on");
    }
  }

  @Test
  void serveSaysAtStartThatTheJournalIsLocked() throws Exception {
    SqliteJournal.open(file, Retention.DEFAULT).close();
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = other.createStatement()) {
      s.execute("BEGIN EXCLUSIVE");

      Run serve =
          run("serve", "--port", "0", "--dir", handlers.toString(), "--data-dir", data.toString());

      assertThat(serve.exit()).isEqualTo(ExitCode.FAILURE);
      assertThat(serve.err())
          .isEqualTo(
              "error: the journal "
                  + file
                  + " is locked by another program (still busy after 5 s): wait for it, or stop"
                  + " it\n");
      assertThat(serve.out()).doesNotContain("Running on");
      s.execute("ROLLBACK");
    }
  }

  @Test
  void serveSaysAtStartThatItCannotWriteItsDataDir() throws Exception {
    Path notAFolder = Files.writeString(data.resolve("file"), "x");

    Run serve =
        run(
            "serve",
            "--port",
            "0",
            "--dir",
            handlers.toString(),
            "--data-dir",
            notAFolder.resolve("journal").toString());

    assertThat(serve.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(serve.err())
        .startsWith("error: cannot write to the data dir " + notAFolder.resolve("journal"))
        .endsWith("or --no-journal to record nothing\n")
        .doesNotContain("Exception");
    assertThat(serve.out()).doesNotContain("Running on");
  }
}
