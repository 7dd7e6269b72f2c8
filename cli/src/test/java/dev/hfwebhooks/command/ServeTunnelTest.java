package dev.hfwebhooks.command;

import static dev.hfwebhooks.testing.Fixtures.write;
import static dev.hfwebhooks.testing.StandInClients.LOCALTUNNEL_URL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hfwebhooks.command.CliTest.Run;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.StandInClients;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code serve --tunnel} in-process, with stand-in clients. */
class ServeTunnelTest {
  @TempDir Path handlers;
  @TempDir Path bin;

  private static final Pattern LOCAL_URL =
      Pattern.compile("Running on local URL: (http://127\\.0\\.0\\.1:(\\d+))");

  @BeforeEach
  void writeHandlers() {
    write(handlers, "deploy.sh", "#!/bin/sh\necho '{}'\n");
    write(handlers, "notify.js", "function handle() {}");
  }

  @Test
  void theServerAnswersLocallyThenPrintsTheTunnelsUrlAndStopsWhenTheTunnelIsLost()
      throws Exception {
    Path lt = StandInClients.dropping(bin);
    Files.createFile(bin.resolve("hold")); // no URL until the test says so
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = HfWebhooksCommand.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    CompletableFuture<Integer> serve =
        CompletableFuture.supplyAsync(
            () ->
                cmd.execute(
                    "serve",
                    "--port",
                    "0",
                    "--dir",
                    handlers.toString(),
                    "--secret",
                    "tunnel-test-secret",
                    "--verbose",
                    "--tunnel-command",
                    lt + " --port {port}"));
    HttpClient client = HttpClient.newHttpClient();
    try {
      awaitOutput(serve, out, err, "Opening a public URL with ");
      Matcher local = LOCAL_URL.matcher(out.toString());
      assertThat(local.find()).as(out.toString()).isTrue();
      HttpResponse<String> before =
          client.send(
              HttpRequest.newBuilder(URI.create(local.group(1) + "/")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(before.body())
          .as("served locally while the tunnel opens")
          .contains("POST " + local.group(1) + "/webhooks/deploy");

      Files.delete(bin.resolve("hold"));
      awaitOutput(serve, out, err, "Go to https://huggingface.co/settings/webhooks");

      assertThat(out.toString())
          .contains("Opening a public URL with " + lt + "...\n")
          .contains("Running on public URL: " + LOCALTUNNEL_URL + "\n")
          .contains("  - POST " + LOCALTUNNEL_URL + "/webhooks/deploy\n")
          .contains("  - POST " + LOCALTUNNEL_URL + "/webhooks/notify\n")
          .contains("[tunnel] your url is: " + LOCALTUNNEL_URL)
          .doesNotContain("  - POST " + local.group(1));
      assertThat(StandInClients.args(bin, "lt")).isEqualTo("--port " + local.group(2));
      HttpResponse<String> page =
          client.send(
              HttpRequest.newBuilder(URI.create(local.group(1) + "/")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(page.body()).contains("POST " + LOCALTUNNEL_URL + "/webhooks/deploy");

      Files.createFile(bin.resolve("drop"));

      assertThat(serve.get(60, TimeUnit.SECONDS)).isEqualTo(ExitCode.FAILURE);
      assertThat(out.toString())
          .contains(lt + " exited: the public URL no longer works. Stopping.")
          .contains("Stopped.");
      assertThat(err.toString())
          .isEqualTo(
              "error: "
                  + lt
                  + " exited with status 3 while serving: "
                  + LOCALTUNNEL_URL
                  + " no longer reaches this server; its last lines:\n"
                  + "  your url is: "
                  + LOCALTUNNEL_URL
                  + "\n"
                  + "  Error: connection refused: localtunnel.me:41234 (check your firewall"
                  + " settings)\n");
      assertRefused(local.group(1));
    } finally {
      client.shutdownNow(); // an idle keep-alive connection would hold up the server's stop
      Files.deleteIfExists(bin.resolve("hold"));
      if (!serve.isDone()) {
        Files.writeString(bin.resolve("drop"), ""); // ends the stand-in, and so serve
      }
    }
  }

  private static void awaitOutput(
      CompletableFuture<Integer> serve, StringWriter out, StringWriter err, String text)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!out.toString().contains(text)) {
      assertThat(serve).as(out + "\n" + err).isNotDone();
      assertThat(System.nanoTime()).as("waiting for " + text + " in: " + out).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void aMissingClientIsExit1AfterServingLocally() throws Exception {
    Run run = serve("--tunnel-command", "no-such-client-7c1f {port}");

    assertThat(run.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(run.out())
        .contains("Running on local URL: http://127.0.0.1:")
        .doesNotContain("Webhooks are correctly setup");
    assertThat(run.err())
        .isEqualTo(
            "error: no-such-client-7c1f is not installed (not found on PATH): install it, or fix"
                + " --tunnel-command\n");
    assertRefused(localUrl(run));
  }

  @Test
  void aFailingClientIsExit1WithItsOwnError() throws Exception {
    Path ngrok = StandInClients.failingNgrok(bin);

    Run run = serve("--tunnel-bin", ngrok.toString());

    assertThat(run.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(run.out()).contains("Opening a public URL with " + ngrok + "...");
    assertThat(run.err())
        .startsWith(
            "error: " + ngrok + " exited with status 1 before giving a public URL; its last lines:")
        .contains("\n  eror failed to reconnect session: authentication failed:")
        .contains("\n  ERROR:  ERR_NGROK_4018\n")
        .doesNotContain("Exception");
    assertRefused(localUrl(run));
  }

  @Test
  void noUrlWithinTheTimeoutIsExit1AndTheClientIsStopped() throws Exception {
    Path silent = StandInClients.silent(bin);

    Run run = serve("--tunnel-command", silent + " {port}", "--tunnel-timeout", "1");

    assertThat(run.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(run.err())
        .startsWith("error: " + silent + " gave no public URL within 1 s (--tunnel-timeout)");
    assertThat(Fixtures.isRunning(StandInClients.pid(bin, "silent"))).isFalse();
    assertRefused(localUrl(run));
  }

  @Test
  void tunnelOptionsThatContradictAreExit2() {
    String dir = handlers.toString();
    @SuppressWarnings("ArrayRecordComponent") // a table row, never compared
    record Case(String[] args, String message) {}
    Case[] cases = {
      new Case(
          new String[] {"--tunnel", "--public-url", "https://x.example.com"},
          "--public-url and --tunnel both give the public URL: pass one"),
      new Case(
          new String[] {"--tunnel-bin", "ngrok", "--tunnel-command", "lt --port {port}"},
          "--tunnel-bin and --tunnel-command both name the client: pass one (--tunnel-command"
              + " 'ngrok http {port} ...' also runs ngrok)"),
      new Case(
          new String[] {"--tunnel", "--tunnel-url-pattern", "x"},
          "--tunnel-url-pattern goes with --tunnel-command (ngrok's URL is read from its JSON"
              + " log)"),
      new Case(
          new String[] {"--tunnel-timeout", "5"},
          "--tunnel-timeout goes with --tunnel or --tunnel-command"),
      new Case(
          new String[] {"--tunnel", "--tunnel-timeout", "0"},
          "--tunnel-timeout must be at least 1 second, not 0"),
      new Case(
          new String[] {"--tunnel-command", "cloudflared tunnel"},
          "--tunnel-command must contain {port}, which becomes the server's port"),
    };
    for (Case c : cases) {
      String[] args = new String[c.args().length + 5];
      System.arraycopy(new String[] {"serve", "--port", "0", "--dir", dir}, 0, args, 0, 5);
      System.arraycopy(c.args(), 0, args, 5, c.args().length);

      Run run = CliTest.run(args);

      assertThat(run.exit()).as(String.join(" ", c.args())).isEqualTo(ExitCode.USAGE);
      assertThat(run.err()).isEqualTo("error: " + c.message() + "\n");
      assertThat(run.out()).as("nothing started").isEmpty();
    }
  }

  private Run serve(String... tunnelArgs) {
    String[] args = new String[tunnelArgs.length + 5];
    System.arraycopy(
        new String[] {"serve", "--port", "0", "--dir", handlers.toString()}, 0, args, 0, 5);
    System.arraycopy(tunnelArgs, 0, args, 5, tunnelArgs.length);
    return CliTest.run(args);
  }

  private static String localUrl(Run run) {
    Matcher m = LOCAL_URL.matcher(run.out());
    assertThat(m.find()).as(run.out()).isTrue();
    return m.group(1);
  }

  /** The server stopped with the tunnel: nothing listens on its port any more. */
  private static void assertRefused(String url) {
    assertThatThrownBy(
            () ->
                HttpClient.newHttpClient()
                    .send(
                        HttpRequest.newBuilder(URI.create(url + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class);
  }
}
