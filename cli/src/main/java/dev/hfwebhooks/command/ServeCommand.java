package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.python.PythonSettings;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.server.ServerConfig;
import dev.hfwebhooks.tunnel.TunnelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hf-webhooks serve}: every handler file becomes {@code POST /webhooks/<name>}. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serve each handler file as POST /webhooks/<name>.")
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;

  @Parameters(
      arity = "0..1",
      paramLabel = "PATH",
      description =
          "A handler file (such as huggingface_hub's app.py) or folder to serve; the same as"
              + " --dir.")
  @Nullable Path target;

  @Option(
      names = "--python-workers",
      paramLabel = "N",
      defaultValue = "4",
      description =
          "Most warm Python workers per .py file, each running one delivery at a time (default:"
              + " ${DEFAULT-VALUE}).")
  int pythonWorkers;

  @Option(
      names = "--python-max-deliveries",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Replace a Python worker after this many deliveries; 0: never (default: ${DEFAULT-VALUE}).")
  long pythonMaxDeliveries;

  @Option(
      names = "--python-max-memory",
      paramLabel = "SIZE",
      converter = ByteSizeConverter.class,
      description =
          "Replace a Python worker once its resident memory passes this, e.g. 2GiB (default:"
              + " never).")
  @Nullable Long pythonMaxMemory;

  @Option(
      names = "--secret",
      paramLabel = "SECRET",
      defaultValue = "${env:WEBHOOK_SECRET}",
      description = "Secret the Hub must send (default: $WEBHOOK_SECRET; none: open to anyone).")
  @Nullable String secret; // null when neither is given: picocli's ${env:...} has no fallback

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description =
          "Address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = {"-p", "--port"},
      defaultValue = "7860",
      description = "Port to listen on, 0 for any free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description =
          "How long one delivery may run before it is stopped (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(
      names = "--max-body",
      paramLabel = "SIZE",
      defaultValue = "1MiB",
      converter = ByteSizeConverter.class,
      description = "Largest request body accepted, e.g. 512KiB (default: ${DEFAULT-VALUE}).")
  long maxBody;

  @Option(
      names = "--public-url",
      paramLabel = "URL",
      description =
          "Public base URL the Hub posts to (default on a Hugging Face Space: https://$SPACE_HOST).")
  @Nullable String publicUrl;

  @Option(
      names = "--ui",
      paramLabel = "PATH",
      description =
          "An HTML page to serve at / instead of the built-in console, which stays at /console"
              + " (default: index.html in the handlers folder, when there is one).")
  @Nullable Path ui;

  @Mixin TunnelOptions tunnelOptions;

  @Option(
      names = "--register",
      description =
          "Once the public URL is known, create or update a Hub webhook for each handler that"
              + " declares @watch, as hub sync does. With --tunnel, those it created are deleted"
              + " on exit; with a stable URL (a Space's, --public-url) they stay.")
  boolean register;

  @ParentCommand HfWebhooksCommand root;
  @Mixin JournalOption data;

  @Option(
      names = "--no-journal",
      description = "Record nothing: no history, no replay, no --async (for benchmarks).")
  boolean noJournal;

  @Option(
      names = "--async",
      description =
          "Answer 202 once a delivery is recorded, then run it in the background, retrying"
              + " failures.")
  boolean async;

  @Option(
      names = "--workers",
      paramLabel = "N",
      defaultValue = "4",
      description = "Deliveries run at once in the background (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--retries",
      paramLabel = "N",
      defaultValue = "3",
      description =
          "With --async: times a failed or timed-out delivery runs again (default:"
              + " ${DEFAULT-VALUE}).")
  int retries;

  @Option(
      names = "--retry-delay",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description =
          "Wait before the first retry, doubled for each next one, with jitter (default:"
              + " ${DEFAULT-VALUE}).")
  Duration retryDelay;

  @Option(
      names = "--keep",
      paramLabel = "N|AGE",
      defaultValue = "10000",
      description =
          "History kept: a number of deliveries, or an age like 30d, 12h (default:"
              + " ${DEFAULT-VALUE}).")
  String keep;

  @Override
  public Integer call() throws InterruptedException {
    Duration timeout = Seconds.positive("--timeout", timeoutSeconds);
    if (target != null) {
      if (spec.commandLine().getParseResult().hasMatchedOption("--dir")) {
        throw UserError.usage("give the handlers as PATH or with --dir, not both");
      }
      common.dir = target;
    }
    if (pythonWorkers < 1) {
      throw UserError.usage("--python-workers must be at least 1, not " + pythonWorkers);
    }
    if (pythonMaxDeliveries < 0) {
      throw UserError.usage("--python-max-deliveries must be 0 or more");
    }
    PythonSettings python =
        PythonSettings.of(
            pythonWorkers, pythonMaxDeliveries, pythonMaxMemory == null ? 0 : pythonMaxMemory);
    if (noJournal && async) {
      throw UserError.usage(
          "--async needs the journal: a delivery is answered once it is recorded there");
    }
    if (noJournal && spec.commandLine().getParseResult().hasMatchedOption("--journal")) {
      throw UserError.usage("--no-journal and --journal ask for opposite things: pass one");
    }
    if (workers < 1) {
      throw UserError.usage("--workers must be at least 1, not " + workers);
    }
    if (retries < 0) {
      throw UserError.usage("--retries must be 0 or more, not " + retries);
    }
    Retention retention;
    try {
      retention = Retention.parse(keep);
    } catch (IllegalArgumentException e) {
      throw UserError.usage("--keep: " + e.getMessage());
    }
    TunnelSpec tunnelSpec = tunnelOptions.spec();
    if (tunnelSpec != null && publicUrl != null) {
      throw UserError.usage("--public-url and --tunnel both give the public URL: pass one");
    }
    String spaceUrl = ServerConfig.spacePublicUrl(root.environment().get("SPACE_HOST"));
    if (register && tunnelSpec == null && publicUrl == null && spaceUrl == null) {
      throw UserError.usage(
          "--register needs a public URL the Hub can reach: add --tunnel, or --public-url URL");
    }
    if (ui != null && !Files.isRegularFile(ui)) {
      throw UserError.usage("--ui: no file at " + ui + " (give the HTML page to serve at /)");
    }
    ServerConfig config;
    try {
      config =
          new ServerConfig(
              host,
              port,
              secret,
              timeout,
              maxBody,
              publicUrl != null ? publicUrl : spaceUrl,
              ui == null ? null : ui.toAbsolutePath());
    } catch (IllegalArgumentException e) {
      throw UserError.usage(e.getMessage());
    }
    Serving serving =
        new Serving(
            config,
            tunnelSpec,
            spaceUrl,
            register,
            secret,
            async,
            retries,
            retryDelay,
            workers,
            noJournal ? null : data.store(),
            retention,
            python,
            common.verbose,
            root.environment(),
            spec.commandLine().getOut());
    return serving.run(common.scanWithoutConflicts());
  }
}
