package dev.hfwebhooks.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The system commands the disk-fault helpers run (mount, losetup, mkfs), as root. */
final class Commands {
  private Commands() {}

  /** Runs a command; returns null when it succeeded, else what it printed. */
  static String run(Object... command) throws Exception {
    return exitAtMost(0, command);
  }

  /** As {@link #run}, counting exit statuses up to {@code ok} as success (e2fsck's 1: repaired). */
  static String exitAtMost(int ok, Object... command) throws Exception {
    Process p = start(command);
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timed out";
    }
    return p.exitValue() <= ok ? null : out.strip();
  }

  /** What a command that must succeed printed. */
  static String output(Object... command) throws Exception {
    Process p = start(command);
    String out = new String(p.getInputStream().readAllBytes()).strip();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", args(command)) + " failed: " + out);
    }
    return out;
  }

  private static Process start(Object... command) throws Exception {
    return new ProcessBuilder(args(command)).redirectErrorStream(true).start();
  }

  private static List<String> args(Object... command) {
    List<String> args = new ArrayList<>();
    for (Object arg : command) {
      args.add(arg.toString());
    }
    return args;
  }
}
