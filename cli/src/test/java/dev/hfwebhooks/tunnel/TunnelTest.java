package dev.hfwebhooks.tunnel;

import static dev.hfwebhooks.testing.StandInClients.CLOUDFLARE_URL;
import static dev.hfwebhooks.testing.StandInClients.LOCALTUNNEL_URL;
import static dev.hfwebhooks.testing.StandInClients.NGROK_URL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.StandInClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tunnel client as a child process, with stand-ins printing what the real clients print. */
class TunnelTest {
  @TempDir Path dir;

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private final List<String> echoed = new CopyOnWriteArrayList<>();

  private Tunnel start(TunnelSpec spec) throws TunnelException {
    return Tunnel.start(spec, 4321, List.of("the-webhook-secret"), echoed::add);
  }

  @Test
  void ngrokGivesTheUrlOfItsStartedTunnelLine() throws Exception {
    Path ngrok = StandInClients.ngrok(dir);

    try (Tunnel tunnel = start(TunnelSpec.ngrok(ngrok.toString(), TIMEOUT))) {
      assertThat(tunnel.awaitUrl()).isEqualTo(NGROK_URL);
      assertThat(StandInClients.args(dir, "ngrok"))
          .isEqualTo("http 4321 --log stdout --log-format json");
      assertThat(tunnel.pid()).isEqualTo(StandInClients.pid(dir, "ngrok"));
      assertThat(echoed).anyMatch(line -> line.contains("\"started tunnel\""));
    }
  }

  @Test
  void cloudflaredGivesTheAddressInItsBoxNotItsDocsLinks() throws Exception {
    Path cloudflared = StandInClients.cloudflared(dir);
    TunnelSpec spec =
        TunnelSpec.command(cloudflared + " tunnel --url http://localhost:{port}", null, TIMEOUT);

    try (Tunnel tunnel = start(spec)) {
      assertThat(tunnel.awaitUrl()).isEqualTo(CLOUDFLARE_URL);
      assertThat(StandInClients.args(dir, "cloudflared"))
          .isEqualTo("tunnel --url http://localhost:4321");
    }
  }

  @Test
  void closingEndsTheClientAndWhatItStarted() throws Exception {
    Path cloudflared = StandInClients.cloudflared(dir);
    Tunnel tunnel = start(TunnelSpec.command(cloudflared + " {port}", null, TIMEOUT));
    tunnel.awaitUrl();
    long client = StandInClients.pid(dir, "cloudflared");
    long child = StandInClients.pid(dir, "cloudflared-child");
    assertThat(Fixtures.isRunning(client)).isTrue();
    assertThat(Fixtures.isRunning(child)).isTrue();

    tunnel.close();

    assertThat(Fixtures.isRunning(client)).as("the client").isFalse();
    assertThat(Fixtures.isRunning(child)).as("the client's child").isFalse();
    assertThat(tunnel.lost()).as("stopping it is not losing it").isNotDone();
  }

  @Test
  void aMissingClientSaysHowToInstallNgrokOrUseAnother() {
    assumeThat(Programs.find("ngrok", System.getenv("PATH"))).as("ngrok not installed").isEmpty();

    assertThatThrownBy(() -> start(TunnelSpec.ngrok(null, TIMEOUT)))
        .isInstanceOf(TunnelException.class)
        .hasMessageStartingWith("ngrok is not installed (not found on PATH): install it")
        .hasMessageContaining("https://ngrok.com/download")
        .hasMessageContaining("--tunnel-bin")
        .hasMessageContaining("--tunnel-command");
    assertThatThrownBy(() -> start(TunnelSpec.ngrok(dir.resolve("ngrok").toString(), TIMEOUT)))
        .hasMessage(dir.resolve("ngrok") + " does not exist: check --tunnel-bin");
    assertThatThrownBy(() -> start(TunnelSpec.command("no-such-client-7c1f {port}", null, TIMEOUT)))
        .hasMessage(
            "no-such-client-7c1f is not installed (not found on PATH): install it, or fix"
                + " --tunnel-command");
  }

  @Test
  void aClientThatFailsShowsItsOwnErrorWithoutItsChatter() throws Exception {
    Path ngrok = StandInClients.failingNgrok(dir);
    Tunnel tunnel = start(TunnelSpec.ngrok(ngrok.toString(), TIMEOUT));

    assertThatThrownBy(tunnel::awaitUrl)
        .isInstanceOf(TunnelException.class)
        .hasMessageStartingWith(
            ngrok + " exited with status 1 before giving a public URL; its last lines:\n")
        .hasMessageContaining(
            "\n  eror failed to reconnect session: authentication failed: Usage of ngrok requires"
                + " a verified account and authtoken. Sign up for an account:")
        .hasMessageContaining("\n  ERROR:  ERR_NGROK_4018")
        .hasMessageNotContaining("starting web service");
  }

  @Test
  void noUrlInTimeIsAnErrorAndTheClientIsStopped() throws Exception {
    Path silent = StandInClients.silent(dir);
    Tunnel tunnel = start(TunnelSpec.command(silent + " {port}", null, Duration.ofSeconds(1)));

    assertThatThrownBy(tunnel::awaitUrl)
        .isInstanceOf(TunnelException.class)
        .hasMessage(
            silent
                + " gave no public URL within 1 s (--tunnel-timeout): if it prints its address"
                + " without https://, pass --tunnel-url-pattern; its last lines:\n"
                + "  connecting...");
    assertThat(Fixtures.isRunning(StandInClients.pid(dir, "silent"))).isFalse();
  }

  @Test
  void aClientThatEndsWhileServingIsReportedWithItsLastLines() throws Exception {
    Path lt = StandInClients.dropping(dir);

    try (Tunnel tunnel = start(TunnelSpec.command(lt + " --port {port}", null, TIMEOUT))) {
      assertThat(tunnel.awaitUrl()).isEqualTo(LOCALTUNNEL_URL);
      assertThat(tunnel.lost()).isNotDone();

      Files.createFile(dir.resolve("drop"));

      assertThat(tunnel.lost().get(30, TimeUnit.SECONDS))
          .isEqualTo(
              lt
                  + " exited with status 3 while serving: "
                  + LOCALTUNNEL_URL
                  + " no longer reaches this server; its last lines:\n"
                  + "  your url is: "
                  + LOCALTUNNEL_URL
                  + "\n"
                  + "  Error: connection refused: localtunnel.me:41234 (check your firewall"
                  + " settings)");
    }
  }

  @Test
  void secretsNeverShowInTheClientsOutput() throws Exception {
    Path leaky =
        Fixtures.write(
            dir, "leaky", "#!/bin/sh\necho \"secret the-webhook-secret, token $2\" >&2\nexit 2\n");
    Tunnel tunnel =
        start(TunnelSpec.command(leaky + " --authtoken tok_1234567890 {port}", null, TIMEOUT));

    assertThatThrownBy(tunnel::awaitUrl)
        .hasMessageEndingWith("\n  secret [hidden], token [hidden]")
        .hasMessageNotContaining("tok_1234567890");
    assertThat(echoed).containsExactly("secret [hidden], token [hidden]");
  }

  @Test
  void onLinuxTheClientIsStartedSoItDiesWithTheJvm() {
    assumeThat(Path.of("/usr/bin/setpriv")).exists();

    assertThat(DieWithServer.prefix()).contains("--pdeathsig", "TERM");
  }

  @Test
  void theClientNeverSeesTheHubTokensOrTheWebhookSecretButKeepsItsOwn() throws Exception {
    Path seen = dir.resolve("env.txt");
    Path client =
        Fixtures.write(
            dir,
            "envy",
            "#!/bin/sh\nenv > '%s'\necho 'https://envy.example.net'\nexec sleep 300\n"
                .formatted(seen));
    Map<String, String> server =
        Map.of(
            "PATH", System.getenv("PATH"),
            "HF_TOKEN", "hf_from_the_variable_1234",
            "HUGGING_FACE_HUB_TOKEN", "hf_from_the_old_name_5678",
            "WEBHOOK_SECRET", "the-webhook-secret",
            "NGROK_AUTHTOKEN", "ngrok_own_token_9012");

    try (Tunnel tunnel =
        Tunnel.start(
            TunnelSpec.command(client + " {port}", null, TIMEOUT),
            4321,
            List.of("the-webhook-secret"),
            echoed::add,
            server)) {
      assertThat(tunnel.awaitUrl()).isEqualTo("https://envy.example.net");
    }

    assertThat(Files.readString(seen))
        .contains("NGROK_AUTHTOKEN=ngrok_own_token_9012\n")
        .doesNotContain("HF_TOKEN=", "HUGGING_FACE_HUB_TOKEN=", "WEBHOOK_SECRET=")
        .doesNotContain("hf_from_the_variable_1234", "hf_from_the_old_name_5678")
        .doesNotContain("the-webhook-secret");
  }

  @Test
  void aHubTokenFromTheTokenFileIsMaskedInTheClientsOutputToo() throws Exception {
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, "hf_from_the_file_4242\n");
    Path client =
        Fixtures.write(
            dir,
            "reader",
            "#!/bin/sh\necho \"read $(cat '%s')\"\necho 'https://reader.example.net'\nexec sleep 300\n"
                .formatted(tokenFile));
    Map<String, String> server =
        Map.of("PATH", System.getenv("PATH"), "HF_TOKEN_PATH", tokenFile.toString());

    try (Tunnel tunnel =
        Tunnel.start(
            TunnelSpec.command(client + " {port}", null, TIMEOUT),
            4321,
            List.of(),
            echoed::add,
            server)) {
      assertThat(tunnel.awaitUrl()).isEqualTo("https://reader.example.net");
    }

    assertThat(echoed).contains("read [hidden]").noneMatch(line -> line.contains("4242"));
  }

  @Test
  void aServerThatIsGoneTakesWhatTheClientStartedWithIt() throws Exception {
    assumeThat(DieWithServer.ownGroup()).as("setsid (util-linux)").isTrue();
    Path cloudflared = StandInClients.cloudflared(dir);
    try (Tunnel tunnel = start(TunnelSpec.command(cloudflared + " {port}", null, TIMEOUT))) {
      tunnel.awaitUrl();
      long client = StandInClients.pid(dir, "cloudflared");
      long child = StandInClients.pid(dir, "cloudflared-child");
      assertThat(tunnel.watchdog()).isNotNull();
      assertThat(Fixtures.isRunning(child))
          .as("the watchdog waits while the server lives")
          .isTrue();

      // What the JVM's exit does to the watchdog's pipe, without ending the client from here.
      tunnel.watchdog().close();

      assertThat(Fixtures.isRunning(child)).as("the client's child").isFalse();
      assertThat(Fixtures.isRunning(client)).as("the client").isFalse();
    }
  }
}
