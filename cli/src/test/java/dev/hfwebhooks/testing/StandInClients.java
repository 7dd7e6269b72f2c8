package dev.hfwebhooks.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small shell scripts that print what real tunnel clients print, so tunnel tests need neither the
 * clients nor a network. Each writes its pid to {@code <name>.pid} and its arguments to {@code
 * <name>.args} beside itself before printing anything.
 */
public final class StandInClients {
  public static final String NGROK_URL = "https://1a2b-203-0-113-7.ngrok-free.app";
  public static final String CLOUDFLARE_URL =
      "https://seasonal-deck-organisms-sf.trycloudflare.com";
  public static final String LOCALTUNNEL_URL = "https://brave-fox-42.loca.lt";

  private StandInClients() {}

  /** ngrok 3 with {@code --log stdout --log-format json}: info lines, then the tunnel. */
  public static Path ngrok(Path dir) {
    return write(
        dir,
        "ngrok",
        """
        port=$2
        cat <<'EOF'
        {"lvl":"info","msg":"no configuration paths supplied","obj":"config","t":"2025-06-01T10:00:00.000Z"}
        {"lvl":"info","msg":"starting web service","obj":"web","addr":"127.0.0.1:4040","allow_hosts":[],"t":"2025-06-01T10:00:00.010Z"}
        {"lvl":"info","msg":"client session established","obj":"tunnels.session","t":"2025-06-01T10:00:00.400Z"}
        {"lvl":"info","msg":"tunnel session started","obj":"tunnels.session","t":"2025-06-01T10:00:00.401Z"}
        EOF
        echo '{"addr":"http://localhost:'"$port"'","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2025-06-01T10:00:00.500Z","url":"%s"}'
        exec sleep 300
        """
            .formatted(NGROK_URL));
  }

  /**
   * ngrok without an authtoken: an error in its JSON log, the same on stderr, exit 1. It also
   * prints {@code $NGROK_AUTHTOKEN} when set (real ngrok does not), to show that it is masked.
   */
  public static Path failingNgrok(Path dir) {
    return write(
        dir,
        "ngrok",
        """
        cat <<'EOF'
        {"lvl":"info","msg":"open config file","path":"/home/me/.config/ngrok/ngrok.yml","err":null,"t":"2025-06-01T10:00:00.000Z"}
        {"lvl":"info","msg":"starting web service","obj":"web","addr":"127.0.0.1:4040","allow_hosts":[],"t":"2025-06-01T10:00:00.010Z"}
        {"lvl":"eror","msg":"failed to reconnect session","obj":"tunnels.session","err":"authentication failed: Usage of ngrok requires a verified account and authtoken.\\n\\nSign up for an account: https://dashboard.ngrok.com/signup\\nInstall your authtoken: https://dashboard.ngrok.com/get-started/your-authtoken\\r\\n\\r\\nERR_NGROK_4018\\r\\n","t":"2025-06-01T10:00:00.300Z"}
        EOF
        cat >&2 <<'EOF'
        ERROR:  authentication failed: Usage of ngrok requires a verified account and authtoken.
        ERROR:
        ERROR:  Sign up for an account: https://dashboard.ngrok.com/signup
        ERROR:  Install your authtoken: https://dashboard.ngrok.com/get-started/your-authtoken
        ERROR:
        ERROR:  ERR_NGROK_4018
        EOF
        if [ -n "$NGROK_AUTHTOKEN" ]; then echo "ERROR:  rejected token $NGROK_AUTHTOKEN" >&2; fi
        exit 1
        """);
  }

  /**
   * A cloudflared quick tunnel: links to its docs and terms, then a box with the URL, on stderr.
   */
  public static Path cloudflared(Path dir) {
    return write(
        dir,
        "cloudflared",
        """
        sleep 300 &
        echo $! > '%s'
        cat >&2 <<'EOF'
        2025-06-01T10:00:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee, are subject to the Cloudflare Online Services Terms of Use (https://www.cloudflare.com/website-terms/), and Cloudflare reserves the right to investigate your use of Tunnels for violations of such terms. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-apps
        2025-06-01T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...
        2025-06-01T10:00:01Z INF +--------------------------------------------------------------------------------------------+
        2025-06-01T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |
        2025-06-01T10:00:01Z INF |  %s                                      |
        2025-06-01T10:00:01Z INF +--------------------------------------------------------------------------------------------+
        EOF
        wait
        """
            .formatted(dir.resolve("cloudflared-child.pid"), CLOUDFLARE_URL));
  }

  /** A client that starts but never gives an address. */
  public static Path silent(Path dir) {
    return write(dir, "silent", "echo 'connecting...'\nexec sleep 300\n");
  }

  /**
   * localtunnel's {@code lt}: gives its URL (once a file named {@code hold} beside it is gone, if
   * there is one), then loses its connection and exits 3 once a file named {@code drop} appears.
   */
  public static Path dropping(Path dir) {
    return write(
        dir,
        "lt",
        """
        while [ -e '%s' ]; do sleep 0.1; done
        echo 'your url is: %s'
        while [ ! -e '%s' ]; do sleep 0.1; done
        echo 'Error: connection refused: localtunnel.me:41234 (check your firewall settings)' >&2
        exit 3
        """
            .formatted(dir.resolve("hold"), LOCALTUNNEL_URL, dir.resolve("drop")));
  }

  /** The pid a stand-in wrote (it writes it before printing anything). */
  public static long pid(Path dir, String name) {
    return Long.parseLong(read(dir.resolve(name + ".pid")));
  }

  /** The arguments a stand-in was given, space-separated. */
  public static String args(Path dir, String name) {
    return read(dir.resolve(name + ".args"));
  }

  private static Path write(Path dir, String name, String body) {
    Path pid = dir.resolve(name + ".pid");
    Path args = dir.resolve(name + ".args");
    return Fixtures.write(
        dir, name, "#!/bin/sh\necho $$ > '%s'\necho \"$@\" > '%s'\n%s".formatted(pid, args, body));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
