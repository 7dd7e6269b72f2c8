package dev.hfwebhooks;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.hfwebhooks.testing.BareShell;
import dev.hfwebhooks.testing.BareShell.Result;
import dev.hfwebhooks.testing.FakeHub;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.StandInClients;
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
import java.util.Map;
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

  /** The install's bare shell with {@code env} added (e.g. HF_WEBHOOKS_OPTS, a token). */
  static BareShell shellWith(Map<String, String> env) {
    BareShell more = shell;
    for (Map.Entry<String, String> variable : env.entrySet()) {
      more = more.with(variable.getKey(), variable.getValue());
    }
    return more;
  }

  static ProcessBuilder bare(List<String> command) {
    return shell.builder(command);
  }

  static ProcessBuilder bare(List<String> command, Map<String, String> env) {
    return shellWith(env).builder(command);
  }

  static Result run(List<String> command) {
    return shell.run(command.toArray(String[]::new));
  }

  static Result run(List<String> command, Map<String, String> env) {
    return shellWith(env).run(command.toArray(String[]::new));
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
  @SuppressWarnings("FutureReturnValueIgnored") // the stuck delivery never answers: SIGTERM ends it
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

  /** A running {@code serve} and the lines it printed up to its list of webhooks. */
  record Serving(Process process, BufferedReader out, List<String> lines) {
    /** The lines printed after those read so far, to its end. */
    String rest() throws IOException {
      StringBuilder rest = new StringBuilder();
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        rest.append(line).append('\n');
      }
      return rest.toString();
    }
  }

  static Serving serve(Path handlers, Map<String, String> env, String... options)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(launcher.toString(), "serve", "--port", "0", "--dir", handlers.toString()));
    command.addAll(List.of(options));
    if (!command.contains("--data-dir")) {
      // A journal of its own: a server still dying from the last test may hold the default one.
      command.addAll(List.of("--data-dir", Files.createTempDirectory(home, "data").toString()));
    }
    Process server = bare(command, env).redirectErrorStream(true).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      lines.add(line);
      if (line.startsWith("Go to https://huggingface.co/settings/webhooks")) {
        break;
      }
    }
    return new Serving(server, out, lines);
  }

  @Test
  void serveTunnelGivesEachWebhookItsPublicUrlAndSigtermEndsTheClient(
      @TempDir Path handlers, @TempDir Path bin) throws Exception {
    write(handlers, "quick.sh", "#!/bin/sh\necho '{\"quick\": true}'\n");
    write(handlers, "notify.js", "function handle() {}");
    Path ngrok = StandInClients.ngrok(bin);
    Serving serving =
        serve(handlers, Map.of(), "--secret", "it-secret", "--tunnel-bin", ngrok.toString());
    try {
      String all = String.join("\n", serving.lines());
      Matcher local =
          Pattern.compile("Running on local URL: http://127\\.0\\.0\\.1:(\\d+)").matcher(all);
      assertThat(local.find()).as(all).isTrue();
      assertThat(serving.lines())
          .contains("Opening a public URL with " + ngrok + "...")
          .contains("Running on public URL: " + StandInClients.NGROK_URL)
          .contains("  - POST " + StandInClients.NGROK_URL + "/webhooks/quick")
          .contains("  - POST " + StandInClients.NGROK_URL + "/webhooks/notify");
      assertThat(StandInClients.args(bin, "ngrok"))
          .isEqualTo("http " + local.group(1) + " --log stdout --log-format json");
      long client = StandInClients.pid(bin, "ngrok");
      assertThat(Fixtures.isRunning(client)).isTrue();

      serving.process().toHandle().destroy(); // SIGTERM
      String rest = serving.rest();

      assertThat(serving.process().waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(rest).contains("Stopped.").doesNotContain("exited");
      assertThat(Fixtures.isRunning(client))
          .as("the tunnel client ended with the server")
          .isFalse();
    } finally {
      serving.process().destroyForcibly();
    }
  }

  @Test
  void aKilledServerTakesItsTunnelClientWithIt(@TempDir Path handlers, @TempDir Path bin)
      throws Exception {
    assumeThat(Path.of("/usr/bin/setpriv")).as("util-linux's setpriv (Linux)").exists();
    write(handlers, "quick.sh", "#!/bin/sh\necho '{}'\n");
    Path ngrok = StandInClients.ngrok(bin);
    Serving serving = serve(handlers, Map.of(), "--tunnel-bin", ngrok.toString());
    try {
      assertThat(serving.lines()).contains("Running on public URL: " + StandInClients.NGROK_URL);
      long client = StandInClients.pid(bin, "ngrok");

      // SIGKILL: no shutdown hook runs; the kernel's parent-death signal ends the client.
      serving.process().destroyForcibly();
      assertThat(serving.process().waitFor(60, TimeUnit.SECONDS)).isTrue();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (Fixtures.isRunning(client) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(Fixtures.isRunning(client)).as("the tunnel client outlived the JVM").isFalse();
    } finally {
      serving.process().destroyForcibly();
    }
  }

  @Test
  void aKilledServerTakesWhatItsTunnelClientStartedWithIt(@TempDir Path handlers, @TempDir Path bin)
      throws Exception {
    assumeThat(Path.of("/usr/bin/setsid")).as("util-linux's setsid (Linux)").exists();
    write(handlers, "quick.sh", "#!/bin/sh\necho '{}'\n");
    // Like npx, the stand-in keeps a child of its own (npx's is node), which the kernel's
    // parent-death signal to the client never reaches.
    Path cloudflared = StandInClients.cloudflared(bin);
    Serving serving = serve(handlers, Map.of(), "--tunnel-command", cloudflared + " {port}");
    try {
      assertThat(serving.lines())
          .contains("Running on public URL: " + StandInClients.CLOUDFLARE_URL);
      long client = StandInClients.pid(bin, "cloudflared");
      long child = StandInClients.pid(bin, "cloudflared-child");
      assertThat(Fixtures.isRunning(child)).isTrue();

      serving.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertThat(serving.process().waitFor(60, TimeUnit.SECONDS)).isTrue();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while ((Fixtures.isRunning(child) || Fixtures.isRunning(client))
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(Fixtures.isRunning(child)).as("the client's child outlived the JVM").isFalse();
      assertThat(Fixtures.isRunning(client)).as("the client outlived the JVM").isFalse();
    } finally {
      serving.process().destroyForcibly();
    }
  }

  @Test
  void aKilledServerLeavesNoPythonWorkerBehindIdleOrBusy(@TempDir Path handlers) throws Exception {
    assumeThat(Fixtures.DEBIAN_PYTHON).as("Debian's python3").exists();
    Path pids = handlers.resolve("pids.txt");
    // idle.py's worker waits for deliveries; busy.py's is inside a handler, with a child of its
    // own, when the server dies.
    write(
        handlers,
        "idle.py",
        "import os\nopen(%s, 'a').write(f'{os.getpid()}\\n')\ndef handle(p, c):\n    pass\n"
            .formatted(pyString(pids)));
    write(
        handlers,
        "busy.py",
        """
        import os, subprocess, time
        def handle(payload, context):
            child = subprocess.Popen(["sleep", "600"])
            open(%s, "a").write(f"{os.getpid()}\\n{child.pid}\\n")
            time.sleep(600)
        """
            .formatted(pyString(pids)));
    Serving serving = serve(handlers, Map.of(), "--python", Fixtures.DEBIAN_PYTHON.toString());
    try {
      String url = localUrl(serving) + "/webhooks/busy";
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  post(url);
                } catch (Exception e) {
                  // Never answered: the server dies first.
                }
              });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lines(pids).size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      List<Long> started = lines(pids).stream().map(Long::parseLong).toList();
      assertThat(started).as("two workers and the busy one's child").hasSize(3);
      assertThat(started).allMatch(Fixtures::isRunning);

      serving.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertThat(serving.process().waitFor(60, TimeUnit.SECONDS)).isTrue();

      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (started.stream().anyMatch(Fixtures::isRunning) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(started.stream().filter(Fixtures::isRunning).toList())
          .as("processes left running after the server was killed")
          .isEmpty();
    } finally {
      serving.process().destroyForcibly();
    }
  }

  @Test
  void serveSaysItIsReadyOnlyOnceItsHandlersAreLoaded(@TempDir Path handlers) throws Exception {
    assumeThat(Fixtures.DEBIAN_PYTHON).as("Debian's python3").exists();
    write(
        handlers,
        "slow.py",
        "import time\ntime.sleep(0.5)\nprint('slow imported', flush=True)\n"
            + "def handle(payload, context):\n    return {'ok': True}\n");
    write(
        handlers,
        "notify.js",
        "console.log('notify loaded');\n"
            + "function handle(payload) { return { repo: payload.repo.name }; }\n");
    Serving serving = serve(handlers, Map.of(), "--python", Fixtures.DEBIAN_PYTHON.toString());
    try {
      List<String> lines = serving.lines();
      List<String> beforeReady =
          lines.subList(
              0,
              lines.indexOf(
                  lines.stream()
                      .filter(l -> l.startsWith("Running on local URL"))
                      .findFirst()
                      .orElseThrow()));
      assertThat(beforeReady)
          .as("what the files print as they load, before the server says it is ready")
          .anyMatch(l -> l.contains("slow imported"))
          .anyMatch(l -> l.contains("notify loaded"));

      HttpResponse<String> js = post(localUrl(serving) + "/webhooks/notify");
      HttpResponse<String> py = post(localUrl(serving) + "/webhooks/slow");
      assertThat(js.statusCode()).as(js.body()).isEqualTo(200);
      assertThat(py.statusCode()).as(py.body()).isEqualTo(200);

      serving.process().toHandle().destroy(); // SIGTERM, leaving its output to read
      String all = String.join("\n", lines) + "\n" + serving.rest();
      assertThat(all.split("notify loaded", -1))
          .as("the first delivery ran in the context loaded at start: " + all)
          .hasSize(2);
    } finally {
      serving.process().destroyForcibly();
    }
  }

  private static String pyString(Path path) {
    return "'" + path + "'";
  }

  @Test
  void aFailingTunnelClientIsOneErrorWithItsOwnLinesAndNoToken(
      @TempDir Path handlers, @TempDir Path bin) throws Exception {
    write(handlers, "quick.sh", "#!/bin/sh\necho '{}'\n");
    Path ngrok = StandInClients.failingNgrok(bin);
    String token = "2fAkEt0kEnValue_7Xq";

    Result result =
        run(
            List.of(
                launcher.toString(),
                "serve",
                "--port",
                "0",
                "--dir",
                handlers.toString(),
                "--tunnel-bin",
                ngrok.toString()),
            Map.of("NGROK_AUTHTOKEN", token));

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err())
        .startsWith("error: " + ngrok + " exited with status 1 before giving a public URL")
        .contains("  ERROR:  ERR_NGROK_4018\n")
        .contains("  ERROR:  rejected token [hidden]") // it reached the client, and is masked
        .doesNotContain(token);
    assertThat(result.out()).doesNotContain(token);
  }

  @Test
  void onASpaceTheTunnelIsNotNeeded(@TempDir Path handlers) throws Exception {
    write(handlers, "quick.sh", "#!/bin/sh\necho '{}'\n");
    Serving serving = serve(handlers, Map.of("SPACE_HOST", "acme-hooks.hf.space"), "--tunnel");
    try {
      assertThat(serving.lines())
          .contains(
              "SPACE_HOST is set: on a Hugging Face Space the public URL is"
                  + " https://acme-hooks.hf.space; no tunnel is needed.")
          .contains("Running on public URL: https://acme-hooks.hf.space")
          .contains("  - POST https://acme-hooks.hf.space/webhooks/quick")
          .noneMatch(line -> line.startsWith("Opening a public URL"));
    } finally {
      serving.process().toHandle().destroy();
      serving.rest();
      serving.process().waitFor(120, TimeUnit.SECONDS);
      serving.process().destroyForcibly();
    }
  }

  @Test
  void serveTunnelRegisterCreatesTheWebhookOnStartAndDeletesItOnSigterm(
      @TempDir Path handlers, @TempDir Path bin) throws Exception {
    write(handlers, "quick.sh", "#!/bin/sh\n# @watch model:acme/sentiment-model\necho '{}'\n");
    write(handlers, "quiet.sh", "#!/bin/sh\necho '{}'\n");
    Path ngrok = StandInClients.ngrok(bin);
    try (FakeHub hub = FakeHub.start()) {
      Serving serving =
          serve(
              handlers,
              Map.of("HF_ENDPOINT", hub.url(), "HF_TOKEN", FakeHub.TOKEN),
              "--secret",
              "it-secret",
              "--tunnel-bin",
              ngrok.toString(),
              "--register");
      try {
        assertThat(hub.webhooks()).as(String.join("\n", serving.lines())).hasSize(1);
        String id = hub.webhooks().getFirst().path("id").asText();
        assertThat(hub.webhooks().getFirst().path("url").asText())
            .isEqualTo(StandInClients.NGROK_URL + "/webhooks/quick");
        assertThat(serving.lines())
            .contains(
                "  created quick: model:acme/sentiment-model (repo, discussion) -> "
                    + StandInClients.NGROK_URL
                    + "/webhooks/quick ["
                    + id
                    + "]");

        serving.process().toHandle().destroy(); // SIGTERM
        String rest = serving.rest();

        assertThat(serving.process().waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(rest)
            .contains("Deleted the webhook of quick from the Hub [" + id + "].")
            .contains("Stopped.");
        assertThat(hub.calls("DELETE"))
            .extracting(FakeHub.Call::path)
            .containsExactly("/api/settings/webhooks/" + id);
        assertThat(hub.webhooks()).isEmpty();
        assertThat(String.join("\n", serving.lines()) + rest)
            .doesNotContain(FakeHub.TOKEN)
            .doesNotContain("it-secret");
      } finally {
        serving.process().destroyForcibly();
      }
    }
  }

  @Test
  void onASpaceRegisterKeepsTheWebhooksAndTheNextStartChangesNothing(@TempDir Path handlers)
      throws Exception {
    write(handlers, "quick.sh", "#!/bin/sh\n# @watch org:acme\necho '{}'\n");
    try (FakeHub hub = FakeHub.start()) {
      Map<String, String> space =
          Map.of(
              "HF_ENDPOINT",
              hub.url(),
              "HF_TOKEN",
              FakeHub.TOKEN,
              "SPACE_HOST",
              "acme-hooks.hf.space",
              "WEBHOOK_SECRET",
              "space-secret");
      for (String expected : List.of("  created quick: ", "  unchanged quick: ")) {
        Serving serving = serve(handlers, space, "--register");
        try {
          assertThat(serving.lines())
              .as(String.join("\n", serving.lines()))
              .anyMatch(line -> line.startsWith(expected))
              .anyMatch(line -> line.endsWith("they stay on the Hub after this run."));
          serving.process().toHandle().destroy(); // SIGTERM, as a Space restart sends
          assertThat(serving.rest()).contains("Stopped.").doesNotContain("Deleted");
          assertThat(serving.process().waitFor(120, TimeUnit.SECONDS)).isTrue();
        } finally {
          serving.process().destroyForcibly();
        }
      }
      assertThat(hub.calls("DELETE")).isEmpty();
      assertThat(hub.calls("POST")).hasSize(1);
      assertThat(hub.webhooks()).hasSize(1);
      assertThat(hub.webhooks().getFirst().path("url").asText())
          .isEqualTo("https://acme-hooks.hf.space/webhooks/quick");
      assertThat(hub.webhooks().getFirst().path("secret").asText()).isEqualTo("space-secret");
    }
  }

  /** The local base URL a running serve printed. */
  private static String localUrl(Serving serving) {
    Matcher m =
        Pattern.compile("Running on local URL: (http://127\\.0\\.0\\.1:\\d+)")
            .matcher(String.join("\n", serving.lines()));
    assertThat(m.find()).as(serving.lines().toString()).isTrue();
    return m.group(1);
  }

  private static HttpResponse<String> post(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload("repo-create.json")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** Posts until the answer is {@code status} with {@code body}; a change takes a moment. */
  private static void eventually(String url, int status, String body) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    HttpResponse<String> response = post(url);
    while (response.statusCode() != status || !response.body().contains(body)) {
      assertThat(System.nanoTime())
          .as("expected %d %s, last %d %s", status, body, response.statusCode(), response.body())
          .isLessThan(deadline);
      Thread.sleep(50);
      response = post(url);
    }
  }

  @Test
  void handlersAddedEditedAndRemovedWhileServingTakeEffectWithoutARestart(@TempDir Path handlers)
      throws Exception {
    Serving serving = serve(handlers, Map.of());
    try {
      String url = localUrl(serving) + "/webhooks/late";
      assertThat(post(url).statusCode()).isEqualTo(404);

      write(handlers, "late.js", "function handle() { return { version: 1 }; }\n");
      eventually(url, 200, "{\"version\":1}");
      write(handlers, "late.js", "function handle() { return { version: 2 }; }\n");
      eventually(url, 200, "{\"version\":2}");
      Files.delete(handlers.resolve("late.js"));
      eventually(url, 404, "No webhook named");

      serving.process().toHandle().destroy();
      assertThat(serving.rest())
          .contains("added webhook POST /webhooks/late")
          .contains("removed webhook POST /webhooks/late");
    } finally {
      serving.process().destroyForcibly();
    }
  }

  @Test
  void aHandlerThatFillsTheHeapIsStoppedAndTheServerKeepsServing(@TempDir Path handlers)
      throws Exception {
    write(
        handlers,
        "hog.js",
        "function handle() { const a = []; while (true) a.push(new Array(100000).fill(1)); }\n");
    write(handlers, "quick.js", "function handle() { return { quick: true }; }\n");
    // A small heap, so the hog reaches it quickly; the timeout is far away on purpose.
    Serving serving = serve(handlers, Map.of("HF_WEBHOOKS_OPTS", "-Xmx256m"), "--timeout", "120");
    try {
      String base = localUrl(serving);

      HttpResponse<String> hog = post(base + "/webhooks/hog");
      HttpResponse<String> quick = post(base + "/webhooks/quick");

      assertThat(hog.statusCode()).isEqualTo(500);
      assertThat(hog.body()).contains("hog was stopped: the server was running out of memory");
      assertThat(quick.statusCode()).isEqualTo(200);
      assertThat(quick.body()).isEqualTo("{\"quick\":true}");
    } finally {
      serving.process().destroyForcibly();
    }
  }

  /** The lines of {@code file}, none when it does not exist yet. */
  private static List<String> lines(Path file) throws IOException {
    return Files.exists(file) ? Files.readAllLines(file) : List.of();
  }

  /** Waits until {@code condition} holds, for 60 s at most, saying {@code what} it waited for. */
  private static void awaitTrue(String what, Check condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.holds()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** A condition that may throw. */
  interface Check {
    boolean holds() throws Exception;
  }

  @Test
  void aDeliveryAnsweredJustBeforeAKillIsRecordedOnceAfterARestart(
      @TempDir Path handlers, @TempDir Path data, @TempDir Path runs) throws Exception {
    Path ran = runs.resolve("ran.txt");
    write(handlers, "note.sh", "#!/bin/sh\necho \"$WEBHOOK_DELIVERY_ID\" >> '" + ran + "'\n");
    String[] options = {"--data-dir", data.toString()};
    Serving first = serve(handlers, Map.of(), options);
    List<String> answered = new ArrayList<>();
    try {
      String url = localUrl(first) + "/webhooks/note";
      for (int i = 0; i < 20; i++) {
        HttpResponse<String> response = post(url);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        answered.add(response.headers().firstValue("X-Delivery-Id").orElseThrow());
      }
      // SIGKILL at once: the last deliveries are still in the journal's log, not its database.
      first.process().destroyForcibly();
      assertThat(first.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      first.process().destroyForcibly();
    }

    Serving second = serve(handlers, Map.of(), options);
    second.process().toHandle().destroy();
    second.rest();
    assertThat(second.process().waitFor(120, TimeUnit.SECONDS)).isTrue();
    Result list = run(launcher.toString(), "deliveries", "--data-dir", data.toString(), "--json");
    assertThat(list.exit()).as(list.all()).isZero();
    for (String id : answered) {
      assertThat(list.out()).contains("\"id\":\"" + id + "\"");
    }
    assertThat(Pattern.compile("\"status\":\"succeeded\"").matcher(list.out()).results().count())
        .as(list.out())
        .isEqualTo(answered.size());
    assertThat(lines(ran))
        .as("each ran once: the outcome was recorded too")
        .hasSameElementsAs(answered)
        .hasSize(20);
  }

  @Test
  void killedInTheMiddleOfAQueueEveryAcceptedDeliveryRunsAfterARestart(
      @TempDir Path handlers, @TempDir Path data, @TempDir Path runs) throws Exception {
    Path ran = runs.resolve("ran.txt");
    // One worker and a second per delivery: the queue is still long when the server is killed.
    write(
        handlers,
        "slow.sh",
        "#!/bin/sh\necho \"$WEBHOOK_DELIVERY_ID\" >> '" + ran + "'\nsleep 1\n");
    String[] options = {"--async", "--workers", "1", "--data-dir", data.toString()};
    Serving first = serve(handlers, Map.of(), options);
    List<String> accepted = new ArrayList<>();
    try {
      String url = localUrl(first) + "/webhooks/slow";
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> response = post(url);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        accepted.add(response.headers().firstValue("X-Delivery-Id").orElseThrow());
      }
      awaitTrue("the first delivery started", () -> !lines(ran).isEmpty());

      first.process().destroyForcibly(); // SIGKILL: no shutdown hook, nothing flushed
      assertThat(first.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      first.process().destroyForcibly();
    }
    List<String> beforeKill = lines(ran);
    assertThat(beforeKill).as("some deliveries were still queued when killed").hasSizeLessThan(6);

    Serving second = serve(handlers, Map.of(), options);
    try {
      awaitTrue("every accepted delivery ran", () -> lines(ran).containsAll(accepted));
      awaitTrue(
          "every accepted delivery is recorded as succeeded",
          () -> {
            Result list =
                run(launcher.toString(), "deliveries", "--data-dir", data.toString(), "--json");
            return list.exit() == 0
                && Pattern.compile("\"status\":\"succeeded\"").matcher(list.out()).results().count()
                    == accepted.size();
          });
      assertThat(String.join("\n", second.lines()))
          .contains("deliveries left unfinished by the last server: running them.");
    } finally {
      second.process().toHandle().destroy();
      second.rest();
      second.process().waitFor(120, TimeUnit.SECONDS);
      second.process().destroyForcibly();
    }
    Result show =
        run(
            launcher.toString(),
            "deliveries",
            "show",
            accepted.getFirst(),
            "--data-dir",
            data.toString());
    assertThat(show.exit()).as(show.all()).isZero();
    assertThat(show.out()).contains("status    succeeded").contains("recovery");
  }

  @Test
  void aDataDirOnAReadOnlyDiskStopsServeAtStart(@TempDir Path handlers, @TempDir Path data)
      throws Exception {
    Result namespaces = run("unshare", "-m", "true");
    assumeThat(namespaces.exit())
        .as("mount namespaces (unshare -m) to make a read-only disk")
        .isZero();
    write(handlers, "quick.sh", "#!/bin/sh\necho '{}'\n");

    // The data dir becomes a read-only mount for this serve alone.
    Result serve =
        run(
            "unshare",
            "-m",
            "sh",
            "-c",
            "mount --bind \"$1\" \"$1\" && mount -o remount,ro,bind \"$1\" \"$1\""
                + " && exec \"$2\" serve --port 0 --dir \"$3\" --data-dir \"$1\"",
            "sh",
            data.toString(),
            launcher.toString(),
            handlers.toString());

    assertThat(serve.exit()).as(serve.all()).isEqualTo(1);
    assertThat(serve.err())
        .isEqualTo(
            "error: cannot write to the data dir "
                + data
                + " (Read-only file system): serve records every delivery there; pass --data-dir"
                + " with a writable folder, or --no-journal to record nothing\n");
    assertThat(serve.out()).doesNotContain("Running on local URL");
  }
}
