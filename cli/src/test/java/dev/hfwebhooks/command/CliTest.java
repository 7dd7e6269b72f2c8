package dev.hfwebhooks.command;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands run in-process, with their output captured. */
class CliTest {
  @TempDir Path dir;

  private static final String EXAMPLES = Path.of("..", "handlers").toString();
  private static final String PUSH =
      Path.of("..", "payloads", "model-repo-content-update.json").toString();
  private static final String PULL_REQUEST =
      Path.of("..", "payloads", "discussion-create-pull-request.json").toString();

  private static final String PYTHON = "/usr/bin/python3";

  /** Exit code and output of one run. */
  record Run(int exit, String out, String err) {}

  /** Runs {@code args} as main does: with the tree {@link HfWebhooksCommand#forArgs} builds. */
  static Run run(String... args) {
    return run(HfWebhooksCommand.forArgs(args), args);
  }

  static Run run(CommandLine cmd, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void aCommandGivenAloneReadsAndHelpsAsInTheWholeTree() {
    assertThat(HfWebhooksCommand.forArgs("serve", "--port", "0").getSubcommands())
        .containsOnlyKeys("serve");
    assertThat(HfWebhooksCommand.forArgs("hub", "list").getSubcommands()).containsOnlyKeys("hub");
    assertThat(HfWebhooksCommand.forArgs("help", "serve").getSubcommands())
        .containsKeys("serve", "deploy", "help");

    for (String command : new String[] {"serve", "list", "test", "hub", "deploy", "replay"}) {
      Run alone = run(command, "--help");
      Run whole = run(HfWebhooksCommand.commandLine(), command, "--help");
      assertThat(alone).as(command).isEqualTo(whole);
      assertThat(alone.out()).startsWith("Usage: hf-webhooks " + command);
    }
    Run typo = run("srve");
    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.err()).contains("Did you mean: hf-webhooks serve");
    assertThat(run("help", "serve").out()).startsWith("Usage: hf-webhooks serve");
  }

  @Test
  void listShowsTheExampleHandlers() {
    Run run = run("list", "--dir", EXAMPLES);

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .containsPattern("NAME +ROUTE +KIND +FILE")
        .containsPattern("new-pull-request +POST /webhooks/new-pull-request +process")
        .containsPattern("push-to-main +POST /webhooks/push-to-main +js")
        .contains("    @filter updatedRefs.ref == refs/heads/main\n")
        .containsPattern("retrain-on-data +POST /webhooks/retrain-on-data +process")
        .contains("    @debounce 2m key=repo.name max=15m\n    @concurrency 1 key=repo.name\n");
  }

  @Test
  void theExampleRetrainRunsOnADatasetPushToMainOnly() {
    String dataset = Path.of("..", "payloads", "dataset-repo-content-update.json").toString();

    Run data = run("test", dataset, "--dir", EXAMPLES, "--handler", "retrain-on-data");
    Run model = run("test", PUSH, "--dir", EXAMPLES, "--handler", "retrain-on-data");

    assertThat(data.exit()).as(data.out() + data.err()).isZero();
    assertThat(data.out())
        .contains(
            "  @debounce 2m key=repo.name max=15m: serve answers 202 and runs only the latest of a"
                + " burst; test runs it now\n")
        .contains("  | retraining on dataset acme/customer-reviews")
        .contains("1 of 1 handler succeeded.");
    assertThat(model.out())
        .contains("  filtered: @filter repo.type == dataset (line 8) does not hold")
        .contains("0 of 1 handler succeeded; 1 filtered.");
  }

  @Test
  void listShowsEachRouteOfAPythonAppAndWhyAFileIsBroken() {
    assumeThat(Path.of(PYTHON)).exists();
    write(
        dir,
        "app.py",
        """
        from huggingface_hub import WebhooksServer
        app = WebhooksServer()
        @app.add_webhook("/say_hello")
        def hello(payload): pass
        @app.add_webhook
        async def bare(payload): pass
        """);
    write(dir, "broken.py", "def handle(payload, context):\n    return {\n");
    write(dir, "other.sh", "echo {}\n");

    Run all = run("list", "--dir", dir.toString(), "--python", PYTHON);
    Run one = run("list", "--dir", dir.resolve("app.py").toString(), "--python", PYTHON);

    assertThat(all.exit()).as(all.err()).isEqualTo(1);
    assertThat(all.out())
        .containsPattern("bare +POST /webhooks/bare +python +" + Pattern.quote(dir + "/app.py"))
        .containsPattern("say_hello +POST /webhooks/say_hello +python .* ready")
        .contains("broken: broken.py has a syntax error at line 2");
    assertThat(one.exit()).as(one.err()).isZero();
    assertThat(one.out()).contains("say_hello").contains("bare").doesNotContain("other");
  }

  @Test
  void testRunsAPythonHandlerAndShowsWhatItPrinted() {
    assumeThat(Path.of(PYTHON)).exists();
    write(
        dir,
        "hello.py",
        "print('importing')\ndef handle(payload, context):\n"
            + "    print('hello', payload['repo']['name'])\n    return {'ok': True}\n");

    Run run = run("test", PUSH, "--dir", dir.toString(), "--python", PYTHON);

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("hello (python, " + dir.resolve("hello.py") + ")")
        .contains("  | importing")
        .contains("  | hello acme/sentiment-model")
        .contains("answer: {\"ok\": true}");
  }

  @Test
  void aMissingPythonOrTwoHandlerPathsAreUsageErrors() {
    Run python = run("list", "--dir", dir.toString(), "--python", dir.resolve("nope").toString());
    Run both = run("serve", dir.toString(), "--dir", dir.toString(), "--port", "0");

    assertThat(python.exit()).isEqualTo(2);
    assertThat(python.err())
        .contains(
            "--python " + dir.resolve("nope") + ": no such program (give the path of a python3)");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("give the handlers as PATH or with --dir, not both");
  }

  @Test
  void listShowsSkippedFilesWithTheirReason() {
    write(dir, "deploy.sh", "#!/bin/sh\n");
    write(dir, "notes.txt", "x");

    Run run = run("list", "--dir", dir.toString());

    assertThat(run.out())
        .contains("Skipped:")
        .contains(dir.resolve("notes.txt") + ": documentation or data file, not a handler");
  }

  @Test
  void listJsonIsAnArrayOfHandlers() {
    write(dir, "deploy.sh", "#!/bin/sh\n");
    write(dir, "notes.txt", "x");

    Run run = run("list", "--json", "--dir", dir.toString());

    assertThat(run.exit()).isZero();
    assertThat(run.out().strip())
        .isEqualTo(
            "[{\"name\":\"deploy\",\"route\":\"/webhooks/deploy\",\"kind\":\"process\",\"path\":\""
                + dir.resolve("deploy.sh")
                + "\",\"state\":\"ready\"}]");
    assertThat(run.err()).contains("skipped " + dir.resolve("notes.txt"));
  }

  @Test
  void listShowsABrokenJavaScriptHandlerWithWhereItBrokeAndExits1() {
    write(dir, "ok.js", "function handle() {}\n");
    write(dir, "bad.js", "function handle() {\n  return [;\n}\n");

    Run table = run("list", "--dir", dir.toString());
    Run json = run("list", "--json", "--dir", dir.toString());

    assertThat(table.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(table.out())
        .containsPattern(
            "bad +POST /webhooks/bad +js +\\S+bad.js +broken: bad.js has a syntax error at line 2, column \\d+")
        .containsPattern("ok +POST /webhooks/ok +js +\\S+ok.js +ready");
    assertThat(json.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(json.out())
        .contains("\"state\":\"broken\",\"problem\":\"bad.js has a syntax error at line 2")
        .contains("\"state\":\"ready\"");
  }

  @Test
  void listShowsWhatEachHandlerWatches() {
    write(dir, "push.js", "// @watch model:acme/sentiment-model org:acme\nfunction handle() {}\n");
    write(dir, "review.sh", "#!/bin/sh\n# @watch dataset:acme/reviews\n# @domains discussion\n");
    write(dir, "quiet.sh", "#!/bin/sh\n");

    Run table = run("list", "--dir", dir.toString());
    Run json = run("list", "--json", "--dir", dir.toString());

    assertThat(table.exit()).as(table.err()).isZero();
    assertThat(table.out())
        .containsPattern("NAME +ROUTE +KIND +FILE +STATE +WATCHES\n")
        .containsPattern(
            "push +POST /webhooks/push +js +\\S+ +ready +model:acme/sentiment-model org:acme"
                + " \\(repo, discussion\\)\n")
        .containsPattern("review +.* +ready +dataset:acme/reviews \\(discussion\\)\n")
        .containsPattern("quiet +.* +ready +-\n");
    assertThat(json.out())
        .contains(
            "\"name\":\"push\",\"route\":\"/webhooks/push\",\"kind\":\"js\",\"path\":\""
                + dir.resolve("push.js")
                + "\",\"state\":\"ready\",\"watch\":{\"watched\":[{\"type\":\"model\","
                + "\"name\":\"acme/sentiment-model\"},{\"type\":\"org\",\"name\":\"acme\"}],"
                + "\"domains\":[\"repo\",\"discussion\"]}}");
  }

  @Test
  void aMalformedDirectiveIsAnErrorNamingFileAndLineAndListExits1() {
    write(dir, "push.js", "// Runs on pushes.\n// @watch models:acme/x\nfunction handle() {}\n");
    write(dir, "ok.sh", "#!/bin/sh\n# @watch org:acme\n");

    Run run = run("list", "--dir", dir.toString());

    assertThat(run.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(run.out())
        .containsPattern("push +.* +ready +invalid @watch, see below\n")
        .containsPattern("ok +.* +ready +org:acme \\(repo, discussion\\)\n");
    assertThat(run.err())
        .isEqualTo(
            "error: "
                + dir.resolve("push.js")
                + " line 2: \"models\" is not a type: use user, org, model, dataset or space\n");
  }

  @Test
  void twoFilesForOneNameAreAnErrorForEveryCommand() {
    write(dir, "a.js", "function handle() {}");
    write(dir, "a.sh", "#!/bin/sh\n");

    Run list = run("list", "--dir", dir.toString());
    Run test = run("test", PUSH, "--dir", dir.toString());
    Run serve = run("serve", "--port", "0", "--dir", dir.toString());

    for (Run r : new Run[] {list, test, serve}) {
      assertThat(r.exit()).isEqualTo(ExitCode.USAGE);
      assertThat(r.err())
          .contains("error: a: " + dir.resolve("a.js") + ", " + dir.resolve("a.sh"))
          .contains("would all serve /webhooks/a");
    }
  }

  @Test
  void aMissingFolderIsOneLineAndExit2() {
    Run run = run("list", "--dir", "no-such-folder");

    assertThat(run.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err())
        .isEqualTo(
            "error: handlers folder no-such-folder does not exist (run from the folder that holds"
                + " it, or pass --dir)\n");
  }

  @Test
  void testRunsTheExampleHandlersOnAPush() {
    Run run = run("test", PUSH, "--dir", EXAMPLES);

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out())
        .contains("push-to-main (js, " + Path.of(EXAMPLES, "push-to-main.js") + ")")
        .contains("  | model acme/sentiment-model: main is now 9f2c4e1")
        .contains("  200 ok in ")
        .contains("\"main\":\"9f2c4e1a7b3d5f608e1c2b4a6d8f0e3c5a7b9d1e\"")
        .contains("1 of 3 handlers succeeded; 2 filtered.");
  }

  @Test
  void testRunsOnlyTheNamedHandler() {
    Run run = run("test", PULL_REQUEST, "--dir", EXAMPLES, "--handler", "new-pull-request");

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out())
        .contains("  | new pull request on model acme/sentiment-model")
        .contains("\"pullRequest\":true")
        .doesNotContain("push-to-main")
        .contains("1 of 1 handler succeeded.");
  }

  @Test
  void aFailingHandlerMakesTestExit1() {
    write(dir, "ok.sh", "#!/bin/sh\necho '{}'\n");
    write(dir, "bad.sh", "#!/bin/sh\necho 'disk full' >&2\nexit 4\n");

    Run run = run("test", PUSH, "--dir", dir.toString());

    assertThat(run.exit()).isEqualTo(ExitCode.FAILURE);
    assertThat(run.out())
        .contains("  | disk full")
        .contains("  500 FAILED in ")
        .contains("  error: bad exited with status 4")
        .contains("1 of 2 handlers succeeded; 1 failed.");
  }

  @Test
  void anInvalidPayloadIsExit2WithEachProblem() {
    Path payload =
        write(dir, "bad.json", "{\"event\": {\"action\": \"poke\", \"scope\": \"repo\"}}");
    write(dir, "ok.sh", "#!/bin/sh\n");

    Run run = run("test", payload.toString(), "--dir", dir.toString());

    assertThat(run.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err())
        .isEqualTo(
            "error: "
                + payload
                + ": not a valid webhook payload:\n"
                + "  event.action must be one of create, delete, move, update, not \"poke\"\n"
                + "  repo is required\n"
                + "  webhook is required\n");
  }

  @Test
  void aMissingPayloadFileOrUnknownHandlerIsExit2() {
    Run missing = run("test", "nope.json", "--dir", EXAMPLES);
    Run unknown = run("test", PUSH, "--dir", EXAMPLES, "--handler", "nope");

    assertThat(missing.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(missing.err()).isEqualTo("error: payload file nope.json does not exist\n");
    assertThat(unknown.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(unknown.err())
        .isEqualTo(
            "error: no handler named \"nope\" in "
                + EXAMPLES
                + " (there are: new-pull-request, push-to-main, retrain-on-data)\n");
  }

  @Test
  void aMissingUiPageIsAUsageError() {
    Path missing = dir.resolve("console.html");

    Run run = run("serve", "--port", "0", "--dir", EXAMPLES, "--ui", missing.toString());

    assertThat(run.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(run.err())
        .isEqualTo("error: --ui: no file at " + missing + " (give the HTML page to serve at /)\n");
  }

  @Test
  void badOptionsAreExit2WithAPointerToHelp() {
    Run port = run("serve", "--port", "high");
    Run size = run("serve", "--max-body", "lots");
    Run timeout = run("serve", "--timeout", "0", "--dir", EXAMPLES);
    Run unknown = run("sevre");

    assertThat(port.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(port.err())
        .isEqualTo(
            "error: Invalid value for option '--port': 'high' is not an int\n"
                + "Try 'hf-webhooks serve --help' for more information.\n");
    assertThat(size.err()).contains("'lots' is not a size; write it like 1048576, 512KiB or 1MiB");
    assertThat(timeout.err()).isEqualTo("error: --timeout must be at least 1 second, not 0\n");
    assertThat(unknown.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(unknown.err()).contains("Did you mean: hf-webhooks serve");
  }

  // Found by ConvertersPropertiesTest: twelve digits of gibibytes wrapped around to another size,
  // and a value with a line break broke the one error line in two.
  @Test
  void aSizeTooLargeOrAValueWithALineBreakIsOneUsageLine() {
    Run huge = run("serve", "--max-body", "999999999999g");
    Run broken = run("serve", "--max-body", "1\nlots");
    Run duration = run("serve", "--retry-delay", "5\nminutes");

    assertThat(huge.exit()).isEqualTo(ExitCode.USAGE);
    assertThat(huge.err())
        .startsWith(
            "error: Invalid value for option '--max-body': '999999999999g' is too large; write a"
                + " size below 8 EiB\n");
    assertThat(broken.err())
        .startsWith(
            "error: Invalid value for option '--max-body': '1\\nlots' is not a size; write it like"
                + " 1048576, 512KiB or 1MiB\n");
    assertThat(duration.err())
        .startsWith(
            "error: Invalid value for option '--retry-delay': '5\\nminutes' is not a duration");
    for (Run r : List.of(huge, broken, duration)) {
      assertThat(r.exit()).isEqualTo(ExitCode.USAGE);
      assertThat(r.err().lines()).hasSize(2); // the error, and the pointer to --help
    }
  }

  @Test
  void aBusyPortIsExit1AndSaysSo() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Run run = run("serve", "--port", String.valueOf(busy.getLocalPort()), "--dir", EXAMPLES);

      assertThat(run.exit()).isEqualTo(ExitCode.FAILURE);
      assertThat(run.err())
          .startsWith("error: cannot listen on 127.0.0.1:" + busy.getLocalPort())
          .contains("pass another --port")
          .doesNotContain("Exception");
    }
  }

  @Test
  void versionAndHelpWork() {
    Run version = run("--version");
    Run help = run("--help");

    assertThat(version.exit()).isZero();
    assertThat(version.out()).startsWith("hf-webhooks 0.");
    assertThat(help.out()).contains("serve").contains("list").contains("test");
  }

  @Test
  void versionNamesTheCommitItWasBuiltFrom() throws Exception {
    String head =
        new String(
                new ProcessBuilder("git", "rev-parse", "--short=7", "HEAD")
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .getInputStream()
                    .readAllBytes(),
                StandardCharsets.UTF_8)
            .strip();

    Run version = run("--version");

    assumeThat(head).as("built from a git checkout").matches("[0-9a-f]{7}");
    assertThat(version.out().lines().findFirst())
        .hasValueSatisfying(
            line -> assertThat(line).matches("hf-webhooks 0\\.\\S+ \\(commit " + head + "\\)"));
  }

  @Test
  void versionBuiltOutsideGitSaysTheCommitIsUnknown() {
    Properties unfiltered = new Properties();
    unfiltered.setProperty("version", "0.3.0");
    unfiltered.setProperty("commit", "${git.commit.id.abbrev}");
    unfiltered.setProperty("dirty", "${git.dirty}");
    Properties modified = new Properties();
    modified.setProperty("version", "0.3.0");
    modified.setProperty("commit", "1a2b3c4");
    modified.setProperty("dirty", "true");

    assertThat(VersionProvider.describe(unfiltered))
        .isEqualTo("hf-webhooks 0.3.0 (commit unknown)");
    assertThat(VersionProvider.describe(modified))
        .isEqualTo("hf-webhooks 0.3.0 (commit 1a2b3c4, modified)");
  }

  @Test
  void generateCompletionPrintsAScriptThatCompletesCommandsAndOptions() throws Exception {
    Run run = run("generate-completion");
    Path script = dir.resolve("hf-webhooks.bash");
    Files.writeString(script, run.out());

    // What bash does on TAB: set COMP_WORDS and COMP_CWORD, call the function, read COMPREPLY.
    Process bash =
        new ProcessBuilder(
                "bash",
                "-c",
                ". \"$1\" 2>/dev/null\n"
                    + "COMP_WORDS=(hf-webhooks se); COMP_CWORD=1; _complete_hf-webhooks\n"
                    + "echo \"${COMPREPLY[*]}\"\n"
                    + "COMP_WORDS=(hf-webhooks serve --ti); COMP_CWORD=2; _complete_hf-webhooks\n"
                    + "echo \"${COMPREPLY[*]}\"\n",
                "bash",
                script.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String completions = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("complete -F _complete_hf-webhooks");
    assertThat(bash.waitFor()).isZero();
    assertThat(completions).isEqualTo("serve\n--timeout\n");
  }
}
