package dev.hfwebhooks.command;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.command.CliTest.Run;
import dev.hfwebhooks.testing.ServerHarness;
import dev.hfwebhooks.testing.ServerHarness.Recording;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flow control as the commands show it: {@code list}, {@code deliveries}, {@code replay}. */
class FlowCliTest {
  @TempDir Path handlers;
  @TempDir Path data;

  private static final String RETRAIN =
      """
      #!/bin/sh
      # Retrains on pushes to main of a dataset.
      # @watch dataset:acme/customer-reviews
      # @filter repo.type == dataset
      # @filter updatedRefs.ref in refs/heads/main,refs/heads/prod
      # @concurrency 1 key=repo.name
      echo '{"retraining": true}'
      """;

  @Test
  void listShowsEachFilterUnderItsHandlerAndInJson() {
    write(handlers, "retrain.sh", RETRAIN);

    Run table = CliTest.run("list", "--dir", handlers.toString());
    Run json = CliTest.run("list", "--dir", handlers.toString(), "--json");

    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out())
        .containsPattern(
            "retrain +POST /webhooks/retrain .* dataset:acme/customer-reviews .*\n"
                + "    @filter repo.type == dataset\n"
                + "    @filter updatedRefs.ref in refs/heads/main,refs/heads/prod\n"
                + "    @concurrency 1 key=repo.name\n");
    assertThat(json.out())
        .contains(
            "\"filters\":[{\"path\":\"repo.type\",\"op\":\"==\",\"values\":[\"dataset\"],"
                + "\"line\":4},{\"path\":\"updatedRefs.ref\",\"op\":\"in\",\"values\":"
                + "[\"refs/heads/main\",\"refs/heads/prod\"],\"line\":5}],"
                + "\"concurrency\":{\"limit\":1,\"key\":\"repo.name\",\"line\":6}");
  }

  @Test
  void aMalformedFilterIsAnErrorNamingFileAndLineAndListExits1() {
    Path file =
        write(handlers, "push.js", "// @filter repo.type === model\nfunction handle() {}\n");

    Run run = CliTest.run("list", "--dir", handlers.toString());

    assertThat(run.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(run.err())
        .isEqualTo(
            "error: "
                + file
                + " line 1: \"===\" is not an operator: use ==, !=, in (a comma-separated list) or"
                + " ~ (a glob, * for any run of characters)\n");
  }

  @Test
  void deliveriesListsFilteredOnesWithTheFilterAndReplayRunsOneAnywaySayingSo() throws Exception {
    write(handlers, "retrain.sh", RETRAIN);
    String[] ids = new String[2];
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          ids[0] =
              server
                  .post("retrain", payload("model-repo-content-update.json"))
                  .headers()
                  .firstValue("X-Delivery-Id")
                  .orElseThrow();
          ids[1] =
              server
                  .post("retrain", payload("dataset-repo-content-update.json"))
                  .headers()
                  .firstValue("X-Delivery-Id")
                  .orElseThrow();
        });

    Run filtered = CliTest.run("deliveries", "--data-dir", data.toString(), "--status", "filtered");
    Run replay =
        CliTest.run("replay", ids[0], "--data-dir", data.toString(), "--dir", handlers.toString());

    assertThat(filtered.exit()).as(filtered.err()).isZero();
    assertThat(filtered.out().lines()).hasSize(2).first().asString().endsWith("DURATION  NOTE");
    assertThat(filtered.out())
        .contains(ids[0])
        .doesNotContain(ids[1])
        .contains(
            "filtered          1      0 ms  @filter repo.type == dataset (line 4) does not hold");
    assertThat(replay.exit()).as(replay.err()).isZero();
    assertThat(replay.out())
        .contains(
            "Note: it was filtered when it arrived (@filter repo.type == dataset (line 4) does not"
                + " hold); replay runs it anyway.\n")
        .contains("Recorded as attempt 2: succeeded.");
  }

  @Test
  void testSkipsAHandlerThePayloadIsFilteredFromAsServeWould() {
    write(handlers, "retrain.sh", RETRAIN);
    write(handlers, "all.js", "function handle() { return {}; }\n");

    Run model =
        CliTest.run(
            "test",
            Path.of("..", "payloads", "model-repo-content-update.json").toString(),
            "--dir",
            handlers.toString());
    Run dataset =
        CliTest.run(
            "test",
            Path.of("..", "payloads", "dataset-repo-content-update.json").toString(),
            "--dir",
            handlers.toString());

    assertThat(model.exit()).as(model.err()).isZero();
    assertThat(model.out())
        .contains(
            "  filtered: @filter repo.type == dataset (line 4) does not hold; serve answers 200"
                + " and does not run it\n")
        .endsWith("1 of 2 handlers succeeded; 1 filtered.\n");
    assertThat(dataset.out())
        .contains("answer: {\"retraining\":true}")
        .endsWith("2 of 2 handlers succeeded.\n");
  }

  @Test
  void serveRefusesADebouncedHandlerWithoutAJournalAndListShowsTheDebounce() {
    Path file =
        write(
            handlers, "batch.sh", "#!/bin/sh\n# @debounce 30s key=repo.name max=10m\necho '{}'\n");

    Run serve = CliTest.run("serve", "--port", "0", "--dir", handlers.toString(), "--no-journal");
    Run json = CliTest.run("list", "--dir", handlers.toString(), "--json");

    assertThat(serve.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(serve.err())
        .isEqualTo(
            "error: "
                + file
                + " line 2: @debounce needs the journal, which keeps held deliveries across"
                + " restarts: serve without --no-journal\n");
    assertThat(json.out())
        .contains(
            "\"debounce\":{\"window\":\"30s\",\"key\":\"repo.name\",\"max\":\"10m\",\"line\":2}");
  }

  @Test
  void deliveriesListsSupersededOnesWithTheOneThatRan() throws Exception {
    write(handlers, "batch.sh", "#!/bin/sh\n# @debounce 1h\necho '{}'\n");
    String[] ids = new String[2];
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          for (int i = 0; i < 2; i++) {
            ids[i] =
                server
                    .post("batch", payload("model-repo-content-update.json"))
                    .headers()
                    .firstValue("X-Delivery-Id")
                    .orElseThrow();
          }
        });

    Run superseded =
        CliTest.run("deliveries", "--data-dir", data.toString(), "--status", "superseded");
    Run held = CliTest.run("deliveries", "--data-dir", data.toString(), "--status", "debounced");

    assertThat(superseded.out())
        .contains(ids[0] + "  ")
        .contains("superseded         0         -  superseded by " + ids[1] + " (@debounce)");
    assertThat(held.out())
        .contains(ids[1])
        .contains("debounced         0         -  held by @debounce until ");
  }

  @Test
  void aMalformedFlowDirectiveMakesListShowTheHandlerBroken() {
    Path file = write(handlers, "typo.sh", "#!/bin/sh\n# @concurrency 1 key=repo.nme\necho '{}'\n");

    Run table = CliTest.run("list", "--dir", handlers.toString());
    Run json = CliTest.run("list", "--dir", handlers.toString(), "--json");

    assertThat(table.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(table.out()).containsPattern("typo +.* broken: directive on line 2, see below");
    assertThat(json.out())
        .contains("\"state\":\"broken\"")
        .contains("\"problem\":\"" + file + " line 2: \\\"repo.nme\\\" can never be in a v3");
  }
}
