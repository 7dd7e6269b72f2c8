package dev.hfwebhooks;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.testing.Fixtures;
import java.io.BufferedReader;
import java.io.IOException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs the built program with install.sh into a temporary prefix and runs the installed
 * launcher as a real process, from a bare environment: no JAVA_HOME, a minimal PATH.
 */
class LauncherIT {
  @TempDir static Path prefix;
  @TempDir static Path home;
  static Path launcher;

  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  /** Output of a finished process. */
  record Result(int exit, String out, String err) {}

  @BeforeAll
  static void install() throws Exception {
    Result first = run(List.of(REPO.resolve("install.sh").toString(), "--no-build"));
    Result again = run(List.of(REPO.resolve("install.sh").toString(), "--no-build"));

    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(again.exit()).as("a second install is harmless: " + again.err()).isZero();
    assertThat(again.out()).contains("Installed hf-webhooks ").contains("is not on your PATH");
    launcher = prefix.resolve("bin/hf-webhooks");
  }

  static ProcessBuilder bare(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile());
    builder.environment().clear();
    builder.environment().put("PATH", "/usr/bin:/bin");
    builder.environment().put("HOME", home.toString());
    builder.environment().put("PREFIX", prefix.toString());
    return builder;
  }

  static Result run(List<String> command) throws Exception {
    Process process = bare(command).start();
    CompletableFuture<String> err =
        CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
    String out = read(process.getInputStream());
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("finished in time").isTrue();
    return new Result(process.exitValue(), out, err.get());
  }

  private static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @Test
  void theInstalledLauncherRunsWithoutJavaOnPathOrJavaHome() throws Exception {
    Result version = run(List.of(launcher.toString(), "--version"));
    Result list = run(List.of(launcher.toString(), "list"));
    Result test =
        run(List.of(launcher.toString(), "test", "payloads/discussion-create-pull-request.json"));

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
  void serveAnswersThenStopsOnSigtermEndingItsChildren(@TempDir Path handlers) throws Exception {
    Path pidFile = handlers.resolve("child.pid");
    write(handlers, "quick.sh", "#!/bin/sh\necho '{\"quick\": true}'\n");
    write(handlers, "stuck.sh", "#!/bin/sh\nsleep 300 &\necho $! > '" + pidFile + "'\nwait\n");
    Process server =
        bare(List.of(
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
