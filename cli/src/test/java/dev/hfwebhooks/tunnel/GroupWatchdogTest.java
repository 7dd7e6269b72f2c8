package dev.hfwebhooks.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.hfwebhooks.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watchdog on a real process group: a client that leads one and children that stay in it. */
class GroupWatchdogTest {
  @TempDir Path dir;

  @Test
  void whenItsPipeClosesTheGroupGetsSigtermThenSigkillAfterTheGrace() throws Exception {
    assumeThat(Programs.system("setsid")).as("setsid (util-linux)").isPresent();
    // A client with two children: one that ends on SIGTERM, one that ignores it.
    Path client =
        Fixtures.write(
            dir,
            "client",
            """
            #!/bin/sh
            sleep 300 &
            echo $! > '%s'
            (trap '' TERM; exec sleep 300) &
            echo $! > '%s'
            wait
            """
                .formatted(dir.resolve("polite.pid"), dir.resolve("stubborn.pid")));
    Process process =
        new ProcessBuilder(
                List.of(Programs.system("setsid").orElseThrow().toString(), client.toString()))
            .start();
    try {
      long polite = awaitPid("polite.pid");
      long stubborn = awaitPid("stubborn.pid");
      GroupWatchdog watchdog =
          GroupWatchdog.start(process.pid(), Duration.ofSeconds(1)).orElseThrow();
      assertThat(Fixtures.isRunning(stubborn))
          .as("nothing happens while the pipe is open")
          .isTrue();

      watchdog.close();

      // A signal sent is not yet a process gone: on a loaded machine the kernel takes a moment to
      // run the killed process's exit.
      awaitGone(polite, "the child that heeds SIGTERM");
      awaitGone(stubborn, "the child that ignores SIGTERM");
      awaitGone(process.pid(), "the client");
    } finally {
      process.destroyForcibly();
    }
  }

  private static void awaitGone(long pid, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (Fixtures.isRunning(pid) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(Fixtures.isRunning(pid)).as(what).isFalse();
  }

  /** The pid a child wrote once the client has started it. */
  private long awaitPid(String file) throws Exception {
    Path path = dir.resolve(file);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!Files.exists(path) || Files.readString(path).isBlank()) {
      assertThat(System.nanoTime()).as("waiting for " + file).isLessThan(deadline);
      Thread.sleep(20);
    }
    return Long.parseLong(Files.readString(path).strip());
  }
}
