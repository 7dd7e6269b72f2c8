package dev.hfwebhooks.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Both launchers, held to the same contract with real processes. */
class LauncherTest {
  @TempDir Path dir;

  private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "FOO", "bar");

  static Stream<Named<Launcher>> launchers() {
    Launcher best = Launcher.best();
    return (best instanceof Launcher.Jdk ? Stream.of(best) : Stream.of(new Launcher.Jdk(), best))
        .map(launcher -> Named.of(launcher.name(), launcher));
  }

  @Test
  void theFastLauncherIsUsedOnLinuxWithJava22() {
    assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux"));
    assumeTrue(Runtime.version().feature() >= 22);

    assertThat(Launcher.best().name()).isEqualTo("posix_spawn");
  }

  @ParameterizedTest
  @MethodSource("launchers")
  void stdinStdoutStderrEnvironmentDirectoryAndExitStatus(Launcher launcher) throws Exception {
    Process process =
        launcher.start(
            List.of(
                "sh",
                "-c",
                "cat; printf '|%s|%s|%s' \"$FOO\" \"$HOME\" \"$(pwd)\"; echo oops >&2; exit 3"),
            dir,
            ENV);
    try (var stdin = process.getOutputStream()) {
      stdin.write("payload\u00e9".getBytes(StandardCharsets.UTF_8));
    }

    assertThat(text(process.getInputStream())).isEqualTo("payload\u00e9|bar||" + dir.toRealPath());
    assertThat(text(process.getErrorStream())).isEqualTo("oops\n");
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(3);
    assertThat(process.isAlive()).isFalse();
  }

  @ParameterizedTest
  @MethodSource("launchers")
  void aMissingProgramIsAnIoErrorThatNamesIt(Launcher launcher) {
    assertThatThrownBy(() -> launcher.start(List.of("/no/such/program"), dir, ENV))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("/no/such/program")
        .hasMessageContaining("No such file or directory");
  }

  @ParameterizedTest
  @MethodSource("launchers")
  void aNulCharacterInTheEnvironmentIsRefused(Launcher launcher) {
    assertThatThrownBy(() -> launcher.start(List.of("true"), dir, Map.of("FOO", "a\0b")))
        .isInstanceOfAny(IOException.class, IllegalArgumentException.class);
  }

  @ParameterizedTest
  @MethodSource("launchers")
  void aMissingDirectoryIsAnIoError(Launcher launcher) {
    assertThatThrownBy(() -> launcher.start(List.of("true"), dir.resolve("gone"), ENV))
        .isInstanceOf(IOException.class);
  }

  @ParameterizedTest
  @MethodSource("launchers")
  void destroyEndsTheProcessAndASignalShowsAs128PlusItsNumber(Launcher launcher) throws Exception {
    Process process = launcher.start(List.of("sleep", "30"), dir, ENV);
    assertThat(process.isAlive()).isTrue();
    assertThat(process.toHandle().pid()).isEqualTo(process.pid());

    process.destroy();

    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(128 + 15);
    assertThat(process.onExit().get(10, TimeUnit.SECONDS)).isSameAs(process);
    process.destroyForcibly(); // after the end: a no-op, never a signal to a reused pid
  }

  @ParameterizedTest
  @MethodSource("launchers")
  void theChildGetsNoOtherFileOfTheServerAndNoBlockedSignal(Launcher launcher) throws Exception {
    Path file = Files.writeString(dir.resolve("open.txt"), "held open by the server");
    try (InputStream held = new FileInputStream(file.toFile())) {
      Process process =
          launcher.start(
              List.of("sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; grep SigBlk /proc/self/status"),
              dir,
              ENV);
      process.getOutputStream().close();

      String out = text(process.getInputStream());
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
      // 0-2, and 3: the directory ls itself is reading.
      assertThat(out).isEqualTo("0 1 2 3 SigBlk:\t0000000000000000\n");
    }
  }

  @ParameterizedTest
  @MethodSource("launchers")
  void aChildThatExitsAtOnceStillGivesItsOutput(Launcher launcher) throws Exception {
    for (int i = 0; i < 50; i++) {
      Process process = launcher.start(List.of("echo", "run " + i), dir, ENV);
      assertThat(text(process.getInputStream())).isEqualTo("run " + i + "\n");
      assertThat(process.waitFor()).isZero();
      process.getOutputStream().close();
      process.getErrorStream().close();
    }
  }

  private static String text(InputStream in) throws IOException {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
