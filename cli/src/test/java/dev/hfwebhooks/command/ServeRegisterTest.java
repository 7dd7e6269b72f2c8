package dev.hfwebhooks.command;

import static dev.hfwebhooks.testing.Fixtures.write;
import static dev.hfwebhooks.testing.StandInClients.LOCALTUNNEL_URL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.testing.FakeHub;
import dev.hfwebhooks.testing.StandInClients;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code serve --tunnel --register} in-process, with localtunnel's stand-in and the fake Hub: the
 * stand-in losing its connection is what ends the run, as SIGTERM would.
 */
class ServeRegisterTest {
  @TempDir Path handlers;
  @TempDir Path bin;
  @TempDir Path home;
  private FakeHub fake;

  @BeforeEach
  void start() {
    fake = FakeHub.start();
    write(handlers, "push.js", "// @watch model:acme/sentiment-model\nfunction handle() {}\n");
    write(handlers, "quiet.sh", "#!/bin/sh\necho '{}'\n");
  }

  @AfterEach
  void stop() throws Exception {
    Files.writeString(bin.resolve("drop"), ""); // ends a stand-in still running
    fake.close();
  }

  private Map<String, String> env() {
    return Map.of("HF_ENDPOINT", fake.url(), "HF_TOKEN", FakeHub.TOKEN, "HOME", home.toString());
  }

  /** A running serve and its output so far. */
  private record Serving(CompletableFuture<Integer> exit, StringWriter out, StringWriter err) {
    void await(String text) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!out.toString().contains(text)) {
        assertThat(exit).as(out + "\n" + err).isNotDone();
        assertThat(System.nanoTime())
            .as("waiting for " + text + " in: " + out)
            .isLessThan(deadline);
        Thread.sleep(20);
      }
    }
  }

  private Serving serve(Map<String, String> env, String... more) {
    Path lt = StandInClients.dropping(bin);
    String[] args =
        Stream.concat(
                Stream.of(
                    "serve",
                    "--port",
                    "0",
                    "--dir",
                    handlers.toString(),
                    "--secret",
                    "tunnel-secret",
                    "--tunnel-command",
                    lt + " --port {port}"),
                Stream.of(more))
            .toArray(String[]::new);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = HfWebhooksCommand.commandLine(env);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return new Serving(CompletableFuture.supplyAsync(() -> cmd.execute(args)), out, err);
  }

  @Test
  void registersOnceTheTunnelGivesItsUrlAndDeletesWhatItCreatedOnExit() throws Exception {
    String theirs =
        fake.add("https://example.com/hook", List.of("org:acme"), List.of("repo"), "theirs");
    Serving serving = serve(env(), "--register");

    serving.await("Go to https://huggingface.co/settings/webhooks");

    assertThat(fake.webhooks()).hasSize(2);
    JsonNode created = fake.webhooks().getLast();
    String id = created.path("id").asText();
    assertThat(created.path("url").asText()).isEqualTo(LOCALTUNNEL_URL + "/webhooks/push");
    assertThat(created.path("secret").asText()).isEqualTo("tunnel-secret");
    assertThat(serving.out().toString())
        .contains(
            "Registering webhooks on "
                + fake.url()
                + " for "
                + LOCALTUNNEL_URL
                + " (token from HF_TOKEN):\n"
                + "  created push: model:acme/sentiment-model (repo, discussion) -> "
                + LOCALTUNNEL_URL
                + "/webhooks/push ["
                + id
                + "]\n"
                + "Registered: 1 created, 0 updated, 0 unchanged, 0 left alone, 0 deleted; those"
                + " created are deleted from the Hub when the server stops.\n"
                + "Running on public URL: "
                + LOCALTUNNEL_URL);

    Files.writeString(bin.resolve("drop"), ""); // the tunnel is lost: serve stops

    assertThat(serving.exit().get(60, TimeUnit.SECONDS)).isEqualTo(ExitCode.FAILURE);
    assertThat(fake.calls("DELETE"))
        .extracting(FakeHub.Call::path)
        .containsExactly("/api/settings/webhooks/" + id);
    assertThat(fake.webhooks()).extracting(w -> w.path("id").asText()).containsExactly(theirs);
    String out = serving.out().toString();
    assertThat(out)
        .contains("Deleted the webhook of push from the Hub [" + id + "].\n")
        .doesNotContain(FakeHub.TOKEN);
    assertThat(out.indexOf("Deleted the webhook")).isLessThan(out.indexOf("Stopped."));
  }

  @Test
  void aRegistrationThatFailsHalfwayStopsTheServerAndTakesBackWhatItCreated() throws Exception {
    write(handlers, "review.sh", "#!/bin/sh\n# @watch dataset:acme/reviews\n");
    fake.answer(
        c -> c.body().contains("/webhooks/review"),
        429,
        Map.of("Retry-After", "30"),
        "{\"error\": \"Too many requests\"}");

    Serving serving = serve(env(), "--register");

    assertThat(serving.exit().get(60, TimeUnit.SECONDS)).isEqualTo(ExitCode.FAILURE);
    assertThat(serving.err().toString())
        .isEqualTo(
            "error: rate limited by the Hub while trying to create the webhook of review (429: Too"
                + " many requests): try again in 30 s. Sync stopped: done: created push; not done:"
                + " create review\n");
    assertThat(serving.out().toString())
        .contains("  created push: ")
        .contains("Deleted the webhook of push");
    assertThat(fake.webhooks()).as("what it created was deleted again").isEmpty();
  }

  @Test
  void registerIsRefusedBeforeAnythingStartsWithoutAPublicUrlATokenOrValidDirectives()
      throws Exception {
    Run noUrl = run(env(), "serve", "--port", "0", "--dir", handlers.toString(), "--register");
    Serving noToken = serve(Map.of("HOME", home.toString()), "--register");
    int noTokenExit = noToken.exit().get(60, TimeUnit.SECONDS);
    write(handlers, "bad.js", "// @watch org:acme\n// @domains repos\n");
    Serving badDirective = serve(env(), "--register");
    int badDirectiveExit = badDirective.exit().get(60, TimeUnit.SECONDS);

    assertThat(noUrl.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(noUrl.err())
        .isEqualTo(
            "error: --register needs a public URL the Hub can reach: add --tunnel, or --public-url"
                + " URL\n");
    assertThat(noTokenExit).isEqualTo(ExitCode.USAGE);
    assertThat(noToken.err().toString()).startsWith("error: no Hugging Face token (looked in");
    assertThat(badDirectiveExit).isEqualTo(ExitCode.USAGE);
    assertThat(badDirective.err().toString())
        .isEqualTo(
            "error: "
                + handlers.resolve("bad.js")
                + " line 2: \"repos\" is not a domain: use repo, discussion or both\n");
    assertThat(noUrl.out() + noToken.out() + badDirective.out()).as("nothing started").isEmpty();
    assertThat(bin.resolve("lt.pid")).as("no tunnel client started").doesNotExist();
    assertThat(fake.calls()).isEmpty();
  }

  @Test
  void withoutRegisterTheHubIsNeverCalled() throws Exception {
    Serving serving = serve(env());

    serving.await("Go to https://huggingface.co/settings/webhooks");
    Files.writeString(bin.resolve("drop"), "");

    assertThat(serving.exit().get(60, TimeUnit.SECONDS)).isEqualTo(ExitCode.FAILURE);
    assertThat(serving.out().toString()).doesNotContain("Registering");
    assertThat(fake.calls()).isEmpty();
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = HfWebhooksCommand.commandLine(env);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }
}
