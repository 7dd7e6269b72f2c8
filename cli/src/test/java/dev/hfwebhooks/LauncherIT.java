package dev.hfwebhooks;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.testing.BareShell;
import dev.hfwebhooks.testing.BareShell.Result;
import dev.hfwebhooks.testing.Fixtures;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs the built program with install.sh into a temporary prefix and runs the installed
 * launcher as a real process, from a bare environment: no JAVA_HOME, a minimal PATH whose java (if
 * any) is older than 21.
 */
class LauncherIT {
  @TempDir static Path prefix;
  @TempDir static Path home;
  static Path launcher;
  static BareShell shell;

  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final String INSTALL = REPO.resolve("install.sh").toString();

  @BeforeAll
  static void install() {
    shell = BareShell.in(REPO, home, "/usr/bin:/bin").with("PREFIX", prefix.toString());
    Result first = shell.run(INSTALL, "--no-build");
    Result again = shell.run(INSTALL, "--no-build");

    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(again.exit()).as("a second install is harmless: " + again.all()).isZero();
    assertThat(again.out())
        .contains("Installed hf-webhooks ")
        .contains("To remove it: " + prefix.resolve("share/hf-webhooks/install.sh --uninstall"))
        .contains("is not on your PATH")
        .contains("export PATH=\"" + prefix.resolve("bin") + ":$PATH\"");
    launcher = prefix.resolve("bin/hf-webhooks");
  }

  static Result run(String... command) {
    return shell.run(command);
  }

  @Test
  void theInstalledLauncherRunsWithoutJavaOnPathOrJavaHome() throws Exception {
    Result version = run(launcher.toString(), "--version");
    Result list = run(launcher.toString(), "list");
    Result test = run(launcher.toString(), "test", "payloads/discussion-create-pull-request.json");

    assertThat(version.exit()).isZero();
    assertThat(version.out()).startsWith("hf-webhooks 0.");
    assertThat(list.exit()).isZero();
    assertThat(list.out()).contains("push-to-main").contains("new-pull-request");
    assertThat(test.exit()).as(test.out() + test.err()).isZero();
    assertThat(test.out()).contains("\"pullRequest\":true");
    // No JVM or GraalVM warning banners in normal output.
    assertThat(version.err() + list.err() + test.err()).isEmpty();
  }

  @Test
  void uninstallRemovesWhatInstallPutThereAndNothingElse(@TempDir Path elsewhere) throws Exception {
    // A prefix whose bin/ already holds the user's own things, and no share/ yet.
    Path userPrefix = elsewhere.resolve("prefix");
    Files.createDirectories(userPrefix.resolve("bin"));
    Files.writeString(userPrefix.resolve("bin/their-tool"), "#!/bin/sh\n");
    BareShell user = shell.with("PREFIX", userPrefix.toString());

    Result install = user.run(INSTALL, "--no-build");
    Result uninstall =
        user.run(userPrefix.resolve("share/hf-webhooks/install.sh").toString(), "--uninstall");
    Result again = user.run(INSTALL, "--uninstall");

    assertThat(install.exit()).as(install.all()).isZero();
    assertThat(uninstall.exit()).as(uninstall.all()).isZero();
    assertThat(uninstall.out())
        .contains("Removed " + userPrefix.resolve("bin/hf-webhooks"))
        .contains("Removed " + userPrefix.resolve("share/hf-webhooks"))
        .contains("Removed " + userPrefix.resolve("share") + " (empty)");
    try (var left = Files.walk(userPrefix)) {
      assertThat(left.map(userPrefix::relativize).map(Path::toString))
          .containsExactlyInAnyOrder("", "bin", "bin/their-tool");
    }
    assertThat(again.exit()).isZero();
    assertThat(again.out()).startsWith("Nothing to remove");
  }

  @Test
  void serveAnswersThenStopsOnSigtermEndingItsChildren(@TempDir Path handlers) throws Exception {
    Path pidFile = handlers.resolve("child.pid");
    write(handlers, "quick.sh", "#!/bin/sh\necho '{\"quick\": true}'\n");
    write(handlers, "stuck.sh", "#!/bin/sh\nsleep 300 &\necho $! > '" + pidFile + "'\nwait\n");
    Process server =
        shell
            .builder(
                List.of(
                    launcher.toString(),
                    "serve",
                    "--port",
                    "0",
                    "--timeout",
                    "60",
                    "--dir",
                    handlers.toString(),
                    "--secret",
                    "it-secret"))
            .redirectErrorStream(true)
            .start();
    List<String> lines = new ArrayList<>();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String base = null;
      Pattern local = Pattern.compile("Running on local URL: (http://127\\.0\\.0\\.1:\\d+)");
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        lines.add(line);
        Matcher m = local.matcher(line);
        if (m.find()) {
          base = m.group(1);
        }
        if (line.startsWith("Go to https://huggingface.co/settings/webhooks")) {
          break;
        }
      }
      assertThat(base).as(String.join("\n", lines)).isNotNull();
      assertThat(lines).contains("  - POST " + base + "/webhooks/quick");

      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> quick =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/webhooks/quick"))
                  .header("X-Webhook-Secret", "it-secret")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(payload("repo-create.json")))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(quick.statusCode()).isEqualTo(200);
      assertThat(quick.body()).isEqualTo("{\"quick\":true}");

      client.sendAsync(
          HttpRequest.newBuilder(URI.create(base + "/webhooks/stuck"))
              .header("X-Webhook-Secret", "it-secret")
              .POST(HttpRequest.BodyPublishers.ofByteArray(payload("repo-create.json")))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
        assertThat(System.nanoTime()).as("stuck.sh started").isLessThan(deadline);
        Thread.sleep(50);
      }
      long child = Long.parseLong(Files.readString(pidFile).strip());

      // SIGTERM, as a container stop sends; Process.destroy() would also close our pipes.
      server.toHandle().destroy();
      StringBuilder rest = new StringBuilder();
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        rest.append(line).append('\n');
      }

      assertThat(server.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(rest).contains("Stopping: letting running deliveries finish").contains("Stopped.");
      assertThat(rest)
          .doesNotContain("it-secret")
          .contains("stuck was stopped: the server is shutting down");
      assertThat(Fixtures.isRunning(child))
          .as("the stuck handler's child was ended with the server")
          .isFalse();
    } finally {
      server.destroyForcibly();
    }
  }
}
