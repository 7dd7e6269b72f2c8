package dev.hfwebhooks.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TunnelSpecTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void aCommandIsSplitLikeAShellWouldWithThePortFilledIn() {
    TunnelSpec spec =
        TunnelSpec.command(
            "ssh -R 80:localhost:{port} \"nokey@localhost.run\" -o 'ServerAliveInterval 30' a\\ b",
            null,
            TIMEOUT);

    assertThat(spec.client()).isEqualTo("ssh");
    assertThat(spec.commandFor(7860))
        .containsExactly(
            "ssh",
            "-R",
            "80:localhost:7860",
            "nokey@localhost.run",
            "-o",
            "ServerAliveInterval 30",
            "a b");
  }

  @Test
  void ngrokRunsWithItsJsonLogOnStdout() {
    assertThat(TunnelSpec.ngrok(null, TIMEOUT).commandFor(7860))
        .containsExactly("ngrok", "http", "7860", "--log", "stdout", "--log-format", "json");
  }

  @Test
  void malformedCommandsAndPatternsAreRefused() {
    assertThatThrownBy(() -> TunnelSpec.command("cloudflared tunnel", null, TIMEOUT))
        .hasMessage("--tunnel-command must contain {port}, which becomes the server's port");
    assertThatThrownBy(() -> TunnelSpec.command("lt --port {port} 'oops", null, TIMEOUT))
        .hasMessage("--tunnel-command has an unclosed ' quote");
    assertThatThrownBy(() -> TunnelSpec.command("bore {port}", "at ([a-z", TIMEOUT))
        .hasMessageStartingWith("--tunnel-url-pattern is not a valid regular expression");
  }

  @Test
  void redactorMasksSensitiveVariablesOptionValuesAndTheWebhookSecret() {
    Redactor redactor =
        Redactor.of(
            Map.of("NGROK_AUTHTOKEN", "2abcDEF_token", "HOME", "/home/someone", "HF_TOKEN", "x"),
            List.of("ngrok", "http", "7860", "--authtoken", "cli-token-1", "--api-key=key-12345"),
            List.of("webhook-secret", "s3"));

    assertThat(
            redactor.apply("2abcDEF_token cli-token-1 key-12345 webhook-secret /home/someone x s3"))
        .isEqualTo("[hidden] [hidden] [hidden] [hidden] /home/someone x [hidden]");
  }
}
