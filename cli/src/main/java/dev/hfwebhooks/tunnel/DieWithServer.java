package dev.hfwebhooks.tunnel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Words put before the client's command so it cannot outlive the server, on Linux with util-linux:
 *
 * <ul>
 *   <li>{@code setpriv --pdeathsig TERM}: the kernel sends the client SIGTERM when the thread that
 *       started it ends, and so when the JVM ends in any way, even killed with SIGKILL or crashed,
 *       when no shutdown hook runs;
 *   <li>{@code setsid}: Ctrl-C in the terminal reaches the server only, which stops the client
 *       itself once running deliveries have answered, instead of the client dying first and looking
 *       like a failure.
 * </ul>
 *
 * Both only change process attributes and then exec the client: its pid stays the one Java has.
 * Elsewhere (macOS) the prefix is empty and the server's shutdown hook alone stops the client. The
 * signal reaches the client only, not what it started: {@link GroupWatchdog} ends the rest.
 */
final class DieWithServer {
  private static volatile @Nullable List<String> prefix;

  private DieWithServer() {}

  static List<String> prefix() {
    List<String> known = prefix;
    if (known == null) {
      known = find();
      prefix = known;
    }
    return known;
  }

  /** Whether the client leads a process group of its own, whose id is its pid. */
  static boolean ownGroup() {
    return prefix().stream().anyMatch(word -> word.endsWith("/setsid"));
  }

  private static List<String> find() {
    List<String> words = new ArrayList<>();
    Programs.system("setsid").ifPresent(setsid -> words.add(setsid.toString()));
    Programs.system("setpriv")
        .filter(DieWithServer::knowsPdeathsig)
        .ifPresent(
            setpriv -> words.addAll(List.of(setpriv.toString(), "--pdeathsig", "TERM", "--")));
    return List.copyOf(words);
  }

  /** util-linux before 2.33 (2018) has setpriv without --pdeathsig. */
  private static boolean knowsPdeathsig(Path setpriv) {
    try {
      Process probe =
          new ProcessBuilder(setpriv.toString(), "--pdeathsig", "TERM", "--", "true")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!probe.waitFor(5, TimeUnit.SECONDS)) {
        probe.destroyForcibly();
        return false;
      }
      return probe.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
