package dev.hfwebhooks.command;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.command.CliTest.Run;
import dev.hfwebhooks.testing.FakeHub;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** {@code hub sync} and {@code hub list} in-process, against the fake Hub. */
class HubCommandTest {
  private static final String BASE = "https://acme-hooks.hf.space";

  @TempDir Path dir;
  @TempDir Path home;
  private FakeHub fake;

  @BeforeEach
  void start() {
    fake = FakeHub.start();
    write(dir, "push.js", "// @watch model:acme/sentiment-model\nfunction handle() {}\n");
    write(dir, "review.sh", "#!/bin/sh\n# @watch dataset:acme/reviews\n# @domains discussion\n");
    write(dir, "quiet.sh", "#!/bin/sh\necho '{}'\n");
  }

  @AfterEach
  void stop() {
    fake.close();
  }

  /** The environment of a user logged in to the fake Hub. */
  private Map<String, String> env() {
    return Map.of("HF_ENDPOINT", fake.url(), "HF_TOKEN", FakeHub.TOKEN, "HOME", home.toString());
  }

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = HfWebhooksCommand.commandLine(env);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private Run sync(String... more) {
    return sync(env(), more);
  }

  private Run sync(Map<String, String> env, String... more) {
    String[] args =
        Stream.concat(
                Stream.of("hub", "sync", "--url", BASE, "--dir", dir.toString(), "--secret", "s"),
                Stream.of(more))
            .toArray(String[]::new);
    return run(env, args);
  }

  private JsonNode webhookFor(String handler) {
    return fake.webhooks().stream()
        .filter(w -> w.path("url").asText().equals(BASE + "/webhooks/" + handler))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no webhook for " + handler + ": " + fake.webhooks()));
  }

  @Test
  void syncCreatesOneWebhookPerHandlerThatDeclaresWatch() {
    Run run = sync();

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(fake.calls())
        .extracting(c -> c.method() + " " + c.path())
        .containsExactly(
            "GET /api/settings/webhooks",
            "POST /api/settings/webhooks",
            "POST /api/settings/webhooks");
    assertThat(fake.webhooks()).hasSize(2);
    JsonNode push = webhookFor("push");
    assertThat(push.path("watched").toString())
        .isEqualTo("[{\"type\":\"model\",\"name\":\"acme/sentiment-model\"}]");
    assertThat(push.path("domains").toString()).isEqualTo("[\"repo\",\"discussion\"]");
    assertThat(push.path("secret").asText()).isEqualTo("s");
    assertThat(webhookFor("review").path("domains").toString()).isEqualTo("[\"discussion\"]");
    assertThat(run.out())
        .startsWith(
            "Syncing webhooks on " + fake.url() + " for " + BASE + " (token from HF_TOKEN):\n")
        .contains("  not registered (no @watch): quiet\n")
        .contains(
            "  created push: model:acme/sentiment-model (repo, discussion) -> "
                + BASE
                + "/webhooks/push ["
                + push.path("id").asText()
                + "]\n")
        .contains("  created review: dataset:acme/reviews (discussion) -> ")
        .endsWith("Done: 2 created, 0 updated, 0 unchanged, 0 left alone, 0 deleted.\n")
        .doesNotContain(FakeHub.TOKEN);
  }

  @Test
  void aSecondSyncCreatesNothing() {
    sync();
    int changes = fake.changes().size();

    Run again = sync();

    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(fake.changes()).hasSize(changes);
    assertThat(fake.webhooks()).hasSize(2);
    assertThat(again.out())
        .contains("  unchanged push: ")
        .contains("  unchanged review: ")
        .endsWith("Done: 0 created, 0 updated, 2 unchanged, 0 left alone, 0 deleted.\n");
  }

  @Test
  void aChangedWatchUpdatesTheWebhookInPlace() {
    sync();
    String id = webhookFor("push").path("id").asText();
    write(dir, "push.js", "// @watch model:acme/other org:acme\n// @domains repo\n");

    Run run = sync();

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(fake.changes().getLast().method() + " " + fake.changes().getLast().path())
        .isEqualTo("POST /api/settings/webhooks/" + id);
    assertThat(fake.webhooks()).hasSize(2);
    assertThat(webhookFor("push").path("id").asText()).isEqualTo(id);
    assertThat(webhookFor("push").path("watched").toString())
        .isEqualTo(
            "[{\"type\":\"model\",\"name\":\"acme/other\"},{\"type\":\"org\",\"name\":\"acme\"}]");
    assertThat(run.out())
        .contains(
            "  updated push: watched model:acme/sentiment-model -> model:acme/other org:acme;"
                + " domains repo, discussion -> repo ["
                + id
                + "]\n")
        .contains("Done: 0 created, 1 updated, 1 unchanged, 0 left alone, 0 deleted.");
  }

  @Test
  void pruneDeletesWebhooksWhoseHandlerIsGoneOrWatchesNothingAndNothingElse() throws Exception {
    sync();
    String review = webhookFor("review").path("id").asText();
    String quiet = fake.add(BASE + "/webhooks/quiet", List.of("org:acme"), List.of("repo"), null);
    String elsewhere =
        fake.add(
            "https://other.example.com/webhooks/review",
            List.of("org:acme"),
            List.of("repo"),
            null);
    Files.delete(dir.resolve("review.sh"));

    Run without = sync();
    int before = fake.calls("DELETE").size();
    Run pruned = sync("--prune");

    assertThat(without.exit()).isZero();
    assertThat(before).as("nothing deleted without --prune").isZero();
    assertThat(without.out())
        .contains(
            "  left alone review: "
                + BASE
                + "/webhooks/review (no handler named review in the folder; --prune deletes it) [")
        .contains(
            "  left alone quiet: " + BASE + "/webhooks/quiet (handler quiet declares no @watch;");
    assertThat(pruned.exit()).as(pruned.err()).isZero();
    assertThat(fake.calls("DELETE"))
        .extracting(FakeHub.Call::path)
        .containsExactly("/api/settings/webhooks/" + review, "/api/settings/webhooks/" + quiet);
    assertThat(fake.webhooks())
        .extracting(w -> w.path("id").asText())
        .containsExactlyInAnyOrder(webhookFor("push").path("id").asText(), elsewhere);
    assertThat(pruned.out())
        .contains(
            "  deleted review: "
                + BASE
                + "/webhooks/review (no handler named review in the folder) [")
        .endsWith("Done: 0 created, 0 updated, 1 unchanged, 0 left alone, 2 deleted.\n");
  }

  @Test
  void dryRunSaysWhatWouldChangeAndChangesNothing() {
    Run run = sync("--dry-run");

    assertThat(run.exit()).isZero();
    assertThat(fake.changes()).isEmpty();
    assertThat(run.out())
        .startsWith("Checking webhooks on ")
        .contains("  would create push: ")
        .endsWith("Nothing changed (--dry-run).\n");
  }

  @Test
  void withoutASecretNewWebhooksGetNoneAndExistingOnesKeepTheirs() {
    String id = fake.add(BASE + "/webhooks/push", List.of("org:acme"), List.of("repo"), "kept");

    Run run =
        run(env(), "hub", "sync", "--url", BASE + "/", "--dir", dir.toString()); // trailing slash

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("  warning: no --secret or WEBHOOK_SECRET: new webhooks get no secret");
    assertThat(webhookFor("push").path("id").asText()).isEqualTo(id);
    assertThat(webhookFor("push").path("secret").asText()).isEqualTo("kept");
    assertThat(webhookFor("review").path("secret").isNull()).isTrue();
  }

  @Test
  void aMalformedDirectiveIsExit2NamingFileAndLineBeforeAnyCallToTheHub() {
    write(dir, "push.js", "function handle() {}\n// @watch model acme/x\n");

    Run run = sync();

    assertThat(run.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err())
        .isEqualTo(
            "error: "
                + dir.resolve("push.js")
                + " line 2: \"model\" is not TYPE:NAME (types: user, org, model, dataset, space),"
                + " e.g. @watch model:acme/sentiment-model\n");
    assertThat(fake.calls()).isEmpty();
  }

  @Test
  void aFolderWhereNothingDeclaresWatchNeedsNoHub(@TempDir Path empty) {
    write(empty, "quiet.sh", "#!/bin/sh\n");

    Run run = run(Map.of(), "hub", "sync", "--url", BASE, "--dir", empty.toString());

    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("declares @watch, so there is nothing to register");
  }

  @Test
  void badUrlsAndAMissingSubcommandAreExit2() {
    Run notUrl = run(env(), "hub", "sync", "--url", "acme-hooks.hf.space", "--dir", dir.toString());
    Run withPath = run(env(), "hub", "sync", "--url", BASE + "/webhooks", "--dir", dir.toString());
    Run bare = run(env(), "hub");

    assertThat(notUrl.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(notUrl.err())
        .isEqualTo(
            "error: --url \"acme-hooks.hf.space\" is not a base URL: give the server's public"
                + " address, such as https://my-webhooks.hf.space\n");
    assertThat(withPath.err())
        .isEqualTo(
            "error: --url is the base URL, without /webhooks: the webhook of handler NAME goes to"
                + " URL/webhooks/NAME\n");
    assertThat(bare.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(bare.err())
        .startsWith("error: say what to do: hub list, hub sync, or hub delete\n")
        .contains("hf-webhooks hub --help");
    assertThat(fake.calls()).isEmpty();
  }

  /** One way the Hub or the setup can fail, and the exit code and message it must give. */
  interface Failure {
    Map<String, String> prepare(FakeHub fake, Map<String, String> env) throws Exception;
  }

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of(
            "no token",
            (Failure) (fake, env) -> without(env, "HF_TOKEN"),
            ExitCode.USAGE,
            "error: no Hugging Face token (looked in HF_TOKEN and %HOME%/.cache/huggingface/token):"
                + " create one with write access at https://huggingface.co/settings/tokens, then"
                + " run `huggingface-cli login` (or `hf auth login`), or set HF_TOKEN\n"),
        Arguments.of(
            "bad token",
            (Failure) (fake, env) -> with(env, "HF_TOKEN", "hf_revoked"),
            ExitCode.USAGE,
            "error: the Hub refused the token from HF_TOKEN (401: Invalid credentials in"
                + " Authorization header): it is wrong, expired or revoked; create one with write"
                + " access at https://huggingface.co/settings/tokens, then run `huggingface-cli"
                + " login` (or `hf auth login`), or set HF_TOKEN\n"),
        Arguments.of(
            "not allowed",
            (Failure) (fake, env) -> with(env, "HF_TOKEN", FakeHub.READ_TOKEN),
            ExitCode.USAGE,
            "error: the token from HF_TOKEN may not create the webhook of push (403: You don't have"
                + " the rights to manage webhooks with this token): use a token with write access"
                + " (https://huggingface.co/settings/tokens). Sync stopped: nothing was changed;"
                + " not done: create push, create review\n"),
        Arguments.of(
            "unknown repo",
            (Failure)
                (fake, env) -> {
                  fake.doesNotKnow("dataset:acme/reviews");
                  return env;
                },
            ExitCode.USAGE,
            "error: the Hub cannot create the webhook of review: it knows no repository, user or"
                + " org among dataset:acme/reviews (404: Repository not found); fix the @watch line"
                + " of %DIR%/review.sh. Sync stopped: done: created push; not done: create"
                + " review\n"),
        Arguments.of(
            "rate limited halfway",
            (Failure)
                (fake, env) -> {
                  fake.answer(
                      c -> c.body().contains("/webhooks/review"),
                      429,
                      Map.of("Retry-After", "30"),
                      "{\"error\": \"Too many requests\"}");
                  return env;
                },
            ExitCode.FAILURE,
            "error: rate limited by the Hub while trying to create the webhook of review (429: Too"
                + " many requests): try again in 30 s. Sync stopped: done: created push; not done:"
                + " create review\n"),
        Arguments.of(
            "Hub unreachable",
            (Failure)
                (fake, env) -> {
                  try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    return with(env, "HF_ENDPOINT", "http://127.0.0.1:" + s.getLocalPort());
                  }
                },
            ExitCode.FAILURE,
            "error: cannot reach the Hub at %ENDPOINT% to list your webhooks (connection refused):"
                + " check your connection, or HF_ENDPOINT\n"));
  }

  private static Map<String, String> with(Map<String, String> env, String name, String value) {
    Map<String, String> more = new HashMap<>(env);
    more.put(name, value);
    return more;
  }

  private static Map<String, String> without(Map<String, String> env, String name) {
    Map<String, String> less = new HashMap<>(env);
    less.remove(name);
    return less;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void eachFailureIsOneErrorLineWithItsExitCode(
      String name, Failure failure, int exit, String message) throws Exception {
    Map<String, String> env = failure.prepare(fake, env());

    Run run = sync(env);

    assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(exit);
    assertThat(run.err())
        .isEqualTo(
            message
                .replace("%HOME%", home.toString())
                .replace("%DIR%", dir.toString())
                .replace("%ENDPOINT%", env.get("HF_ENDPOINT")));
    assertThat(run.err().lines()).hasSize(1);
    assertThat(run.out() + run.err()).doesNotContain(FakeHub.TOKEN).doesNotContain("Exception");
  }

  @Test
  void partialSyncPrintsWhatWasDoneBeforeTheError() {
    fake.answer(c -> c.body().contains("/webhooks/review"), 503, Map.of(), "");

    Run run = sync();

    assertThat(run.out()).contains("  created push: ").doesNotContain("created review");
    assertThat(run.err())
        .isEqualTo(
            "error: the Hub failed to create the webhook of review (503): try again later. Sync"
                + " stopped: done: created push; not done: create review\n");
    assertThat(fake.webhooks()).hasSize(1);
  }

  @Test
  void hubListShowsEachWebhookAndTheHandlerOfThisFolderItPostsTo() {
    String push =
        fake.add(
            BASE + "/webhooks/push", List.of("model:acme/sentiment-model"), List.of("repo"), "x");
    String other =
        fake.add(
            "https://example.com/hook",
            List.of("user:julien-c", "org:acme"),
            List.of("repo", "discussion"),
            null);
    fake.disable(other, "suspended-after-failure");

    Run table = run(env(), "hub", "list", "--dir", dir.toString());
    Run json = run(env(), "hub", "list", "--json", "--dir", dir.toString());
    Run elsewhere =
        run(env(), "hub", "list", "--dir", dir.toString(), "--url", "https://other.example.com");

    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out())
        .containsPattern("ID +HANDLER +ENABLED +DOMAINS +WATCHED +URL\n")
        .containsPattern(
            push + " +push +yes +repo +model:acme/sentiment-model +" + BASE + "/webhooks/push\n")
        .containsPattern(
            other
                + " +- +no \\(suspended-after-failure\\) +repo,discussion +user:julien-c org:acme"
                + " +https://example.com/hook\n")
        .doesNotContain("\"x\"");
    assertThat(json.out().strip())
        .isEqualTo(
            "[{\"id\":\""
                + push
                + "\",\"url\":\""
                + BASE
                + "/webhooks/push\",\"handler\":\"push\",\"watched\":[{\"type\":\"model\","
                + "\"name\":\"acme/sentiment-model\"}],\"domains\":[\"repo\"],\"enabled\":true},"
                + "{\"id\":\""
                + other
                + "\",\"url\":\"https://example.com/hook\",\"handler\":null,\"watched\":"
                + "[{\"type\":\"user\",\"name\":\"julien-c\"},{\"type\":\"org\",\"name\":\"acme\"}],"
                + "\"domains\":[\"repo\",\"discussion\"],\"enabled\":false,"
                + "\"disabled\":\"suspended-after-failure\"}]");
    assertThat(elsewhere.out()).containsPattern(push + " +- +yes");
    assertThat(fake.changes()).isEmpty();
  }

  @Test
  void hubListWithNoWebhooksSaysHowToCreateThemAndNeedsNoFolder() {
    Run run = run(env(), "hub", "list", "--dir", "no-such-folder-default");
    Path cwd = Path.of("handlers");

    assertThat(run.exit()).as("a --dir that is missing is an error").isEqualTo(ExitCode.USAGE);
    assertThat(Files.isDirectory(cwd)).as("tests run where no ./handlers exists").isFalse();
    Run empty = run(env(), "hub", "list");
    assertThat(empty.exit()).as(empty.err()).isZero();
    assertThat(empty.out())
        .isEqualTo(
            "No webhooks on "
                + fake.url()
                + " yet. `hf-webhooks hub sync --url URL` creates one per handler that declares"
                + " @watch.\n");
  }

  private static final String NGROK = "https://1a2b-203-0-113-7.ngrok-free.app";

  /** Webhooks of every kind: two a killed tunnel session left, and three it must never touch. */
  private Map<String, String> mixedWebhooks() {
    Map<String, String> ids = new HashMap<>();
    List<String> watched = List.of("model:acme/sentiment-model");
    List<String> repo = List.of("repo");
    ids.put("ngrok", fake.add(NGROK + "/webhooks/push", watched, repo, "s"));
    ids.put(
        "cloudflare",
        fake.add("https://seasonal-deck.trycloudflare.com/webhooks/review", watched, repo, null));
    ids.put("space", fake.add(BASE + "/webhooks/push", watched, repo, "s"));
    ids.put("other", fake.add(NGROK + "/hook", watched, repo, null));
    ids.put(
        "lookalike",
        fake.add("https://ngrok-free.app.example.com/webhooks/x", watched, repo, null));
    return ids;
  }

  private List<String> remainingUrls() {
    return fake.webhooks().stream().map(w -> w.path("url").asText()).toList();
  }

  @Test
  void hubDeleteDeletesTheWebhooksItIsGivenById() {
    Map<String, String> ids = mixedWebhooks();

    Run run = run(env(), "hub", "delete", ids.get("space"), ids.get("other"));

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "Deleted webhook %s from %s.\nDeleted webhook %s from %s.\n"
                .formatted(ids.get("space"), fake.url(), ids.get("other"), fake.url()));
    assertThat(remainingUrls()).doesNotContain(BASE + "/webhooks/push", NGROK + "/hook");
    assertThat(fake.webhooks()).hasSize(3);
  }

  @Test
  void hubDeleteAllTunnelDeletesOnlyWhatPostsToATunnelsWebhookUrls() {
    Map<String, String> ids = mixedWebhooks();

    Run dry = run(env(), "hub", "delete", "--all-tunnel", "--dry-run");
    int afterDryRun = fake.changes().size();
    Run run = run(env(), "hub", "delete", "--all-tunnel");
    Run again = run(env(), "hub", "delete", "--all-tunnel");

    assertThat(dry.exit()).as(dry.err()).isZero();
    assertThat(afterDryRun).as("a dry run changes nothing").isZero();
    assertThat(dry.out())
        .contains("  would delete " + ids.get("ngrok") + ": " + NGROK + "/webhooks/push\n")
        .endsWith("Nothing deleted (--dry-run).\n");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "Deleting the webhooks that post to a tunnel's address on "
                + fake.url()
                + " (token from HF_TOKEN):\n"
                + "  deleted "
                + ids.get("ngrok")
                + ": "
                + NGROK
                + "/webhooks/push\n"
                + "  deleted "
                + ids.get("cloudflare")
                + ": https://seasonal-deck.trycloudflare.com/webhooks/review\n"
                + "Done: 2 deleted.\n");
    assertThat(remainingUrls())
        .containsExactly(
            BASE + "/webhooks/push",
            NGROK + "/hook",
            "https://ngrok-free.app.example.com/webhooks/x");
    assertThat(again.exit()).isZero();
    assertThat(again.out())
        .isEqualTo(
            "No webhook on " + fake.url() + " posts to a tunnel's address: nothing to delete.\n");
  }

  @Test
  void hubDeleteFailuresAreOneLineWithTheirExitCode() {
    Map<String, String> ids = mixedWebhooks();
    String unknown = "6543bbc16f2ec14d77f1ffff";

    Run neither = run(env(), "hub", "delete");
    Run both = run(env(), "hub", "delete", "--all-tunnel", ids.get("space"));
    Run notAnId = run(env(), "hub", "delete", "../settings");
    int callsBefore = fake.calls().size();
    Run noToken = run(without(env(), "HF_TOKEN"), "hub", "delete", ids.get("space"));
    Run missing = run(env(), "hub", "delete", ids.get("space"), unknown, ids.get("other"));
    fake.answerNext(503, Map.of(), "");
    Run hubDown = run(env(), "hub", "delete", ids.get("other"));
    fake.answer(c -> c.method().equals("DELETE"), 502, Map.of(), "");
    Run halfway = run(env(), "hub", "delete", "--all-tunnel");

    assertThat(callsBefore).as("usage errors call no Hub").isZero();
    assertThat(neither.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(neither.err())
        .isEqualTo(
            "error: say what to delete: webhook ids (hub list shows them), or --all-tunnel\n");
    assertThat(both.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(both.err()).isEqualTo("error: give webhook ids or --all-tunnel, not both\n");
    assertThat(notAnId.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(notAnId.err())
        .isEqualTo(
            "error: \"../settings\" is not a webhook id: `hf-webhooks hub list` shows the ids of"
                + " yours\n");
    assertThat(noToken.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(noToken.err()).startsWith("error: no Hugging Face token (looked in HF_TOKEN and ");
    assertThat(missing.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(missing.out())
        .isEqualTo("Deleted webhook %s from %s.\n".formatted(ids.get("space"), fake.url()));
    assertThat(missing.err())
        .isEqualTo(
            "error: no webhook %s on %s (404): `hf-webhooks hub list` shows the ids of yours."
                    .formatted(unknown, fake.url())
                + " Stopped: deleted %s; not deleted: %s, %s\n"
                    .formatted(ids.get("space"), unknown, ids.get("other")));
    assertThat(hubDown.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(hubDown.err())
        .isEqualTo(
            "error: the Hub failed to delete webhook %s (503): try again later\n"
                .formatted(ids.get("other")));
    assertThat(halfway.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(halfway.err())
        .isEqualTo(
            "error: the Hub failed to delete webhook %s (502): try again later\n"
                .formatted(ids.get("ngrok")));
    for (Run r : List.of(neither, both, notAnId, noToken, missing, hubDown, halfway)) {
      assertThat(r.err().lines()).hasSize(1);
      assertThat(r.out() + r.err()).doesNotContain(FakeHub.TOKEN).doesNotContain("Exception");
    }
  }

  @Test
  void hubDeleteAllTunnelThatStopsHalfwaySaysWhatWasAndWasNotDeleted() {
    Map<String, String> ids = mixedWebhooks();
    fake.answer(
        c -> c.method().equals("DELETE") && c.path().endsWith(ids.get("cloudflare")),
        503,
        Map.of(),
        "");

    Run run = run(env(), "hub", "delete", "--all-tunnel");

    assertThat(run.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(run.out()).contains("  deleted " + ids.get("ngrok") + ": ");
    assertThat(run.err())
        .isEqualTo(
            "error: the Hub failed to delete webhook %s (503): try again later. Stopped: deleted"
                    .formatted(ids.get("cloudflare"))
                + " %s; not deleted: %s\n".formatted(ids.get("ngrok"), ids.get("cloudflare")));
  }
}
