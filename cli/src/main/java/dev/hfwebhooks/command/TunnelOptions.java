package dev.hfwebhooks.command;

import dev.hfwebhooks.tunnel.TunnelSpec;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** {@code serve}'s options for a public URL through a tunnel client (ngrok or another). */
final class TunnelOptions {
  static final int DEFAULT_TIMEOUT_SECONDS = 30;

  @Option(
      names = "--tunnel",
      description =
          "Open a public URL with ngrok (on PATH, or --tunnel-bin) so the Hub can reach this"
              + " machine.")
  boolean tunnel;

  @Option(
      names = "--tunnel-bin",
      paramLabel = "PATH",
      description = "The ngrok program to run (implies --tunnel; default: ngrok on PATH).")
  @Nullable String bin;

  @Option(
      names = "--tunnel-command",
      paramLabel = "COMMAND",
      description =
          "Run this tunnel client instead of ngrok, {port} replaced by the server's port, e.g."
              + " 'cloudflared tunnel --url http://localhost:{port}' (implies --tunnel). The public"
              + " URL is the first https:// address it prints.")
  @Nullable String command;

  @Option(
      names = "--tunnel-url-pattern",
      paramLabel = "REGEX",
      description =
          "With --tunnel-command: the public URL is the first match of REGEX in the client's"
              + " output (its group named url, else its first group, else the whole match;"
              + " https:// is added when it has no scheme).")
  @Nullable String urlPattern;

  @Option(
      names = "--tunnel-timeout",
      paramLabel = "SECONDS",
      description = "How long the tunnel client may take to give its URL (default: 30).")
  @Nullable Integer timeoutSeconds;

  /** The client to run, or null when no tunnel is asked for; bad combinations are usage errors. */
  @Nullable TunnelSpec spec() {
    if (bin != null && command != null) {
      throw UserError.usage(
          "--tunnel-bin and --tunnel-command both name the client: pass one (--tunnel-command"
              + " 'ngrok http {port} ...' also runs ngrok)");
    }
    if (urlPattern != null && command == null) {
      throw UserError.usage(
          "--tunnel-url-pattern goes with --tunnel-command (ngrok's URL is read from its JSON log)");
    }
    if (!tunnel && bin == null && command == null) {
      if (timeoutSeconds != null) {
        throw UserError.usage("--tunnel-timeout goes with --tunnel or --tunnel-command");
      }
      return null;
    }
    Duration timeout =
        Seconds.positive(
            "--tunnel-timeout", timeoutSeconds != null ? timeoutSeconds : DEFAULT_TIMEOUT_SECONDS);
    try {
      return command != null
          ? TunnelSpec.command(command, urlPattern, timeout)
          : TunnelSpec.ngrok(bin, timeout);
    } catch (IllegalArgumentException e) {
      throw UserError.usage(e.getMessage(), e);
    }
  }
}
