package dev.hfwebhooks.tunnel;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A small {@code sh} process that ends the tunnel client's whole process group once the server is
 * gone, however it went.
 *
 * <p>The kernel's parent-death signal ({@link DieWithServer}) reaches the client alone: what the
 * client started itself ({@code node} under {@code npx}, a helper it forks) would live on after a
 * SIGKILL of the JVM, holding the public URL open with nothing behind it. The client leads its own
 * process group ({@code setsid}), so the group is everything it started that did not leave on
 * purpose.
 *
 * <p>The watchdog waits on its stdin, a pipe whose only writer is the JVM: the JDK and {@code
 * PosixSpawn} close every descriptor above stderr in the processes they start, so no other child
 * holds it open, and end of file means the JVM has exited. It then sends the group SIGTERM, and
 * SIGKILL to whatever is left after the grace period. It runs in a session of its own, so Ctrl-C in
 * the terminal, or a signal to the server's process group, leaves it waiting for its pipe.
 */
final class GroupWatchdog implements AutoCloseable {
  /**
   * $1 is the group, $2 the grace in tenths of a second. {@code read} returns at end of file (or if
   * the JVM ever wrote a line); a group already empty makes the first kill fail, and then there is
   * nothing to do.
   */
  static final String SCRIPT =
      """
      while read -r line; do :; done
      kill -TERM "-$1" 2>/dev/null || exit 0
      i=0
      while [ "$i" -lt "$2" ] && kill -0 "-$1" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
      kill -KILL "-$1" 2>/dev/null
      exit 0
      """;

  private final Process process;
  private final long group;
  private final Duration grace;

  private GroupWatchdog(Process process, long group, Duration grace) {
    this.process = process;
    this.group = group;
    this.grace = grace;
  }

  /**
   * Starts a watchdog for process group {@code group}; empty where it cannot run (no {@code
   * setsid}, so the client does not lead a group of its own, or no {@code sh}). The client still
   * gets the parent-death signal then; only what it started is left to chance.
   */
  static Optional<GroupWatchdog> start(long group, Duration grace) {
    Optional<Path> setsid = Programs.system("setsid");
    Optional<Path> sh = Programs.system("sh");
    if (setsid.isEmpty() || sh.isEmpty()) {
      return Optional.empty();
    }
    long tenths = Math.max(1, grace.toMillis() / 100);
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    setsid.get().toString(),
                    sh.get().toString(),
                    "-c",
                    SCRIPT,
                    "hf-webhooks-tunnel-watchdog",
                    String.valueOf(group),
                    String.valueOf(tenths)))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    try {
      return Optional.of(new GroupWatchdog(builder.start(), group, grace));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private void killGroup() throws InterruptedException {
    Optional<Path> kill = Programs.system("kill");
    if (kill.isEmpty()) {
      return;
    }
    try {
      new ProcessBuilder(kill.get().toString(), "-KILL", "--", "-" + group)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      // Nothing more can be done from here.
    }
  }

  /** The watchdog's own pid (for tests). */
  long pid() {
    return process.pid();
  }

  /**
   * Ends the group now, as if the server were gone, and waits for the watchdog to be done (at most
   * the grace period and a little): a normal stop also ends what the client started, including what
   * it moved out of its process tree.
   */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // Already closed: the watchdog is on its way.
    }
    try {
      if (!process.waitFor(grace.toMillis() + 5000, TimeUnit.MILLISECONDS)) {
        // A machine so loaded that the script's own loop ran late: end the group from here,
        // rather than leave what ignored SIGTERM running.
        killGroup();
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
