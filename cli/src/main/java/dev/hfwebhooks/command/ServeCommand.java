package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.server.ServerConfig;
import dev.hfwebhooks.server.ServerLog;
import dev.hfwebhooks.server.StartupMessage;
import dev.hfwebhooks.server.WebhookServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hf-webhooks serve}: every handler file becomes {@code POST /webhooks/<name>}. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serve each handler file as POST /webhooks/<name>.")
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;

  @Option(
      names = "--secret",
      paramLabel = "SECRET",
      defaultValue = "${env:WEBHOOK_SECRET}",
      description = "Secret the Hub must send (default: $WEBHOOK_SECRET; none: open to anyone).")
  String secret;

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
  String publicUrl;

  @Override
  public Integer call() throws InterruptedException {
    if (timeoutSeconds <= 0) {
      throw UserError.usage("--timeout must be at least 1 second, not " + timeoutSeconds);
    }
    ServerConfig config;
    try {
      config =
          new ServerConfig(
              host,
              port,
              secret,
              Duration.ofSeconds(timeoutSeconds),
              maxBody,
              publicUrl != null
                  ? publicUrl
                  : ServerConfig.spacePublicUrl(System.getenv("SPACE_HOST")));
    } catch (IllegalArgumentException e) {
      throw UserError.usage(e.getMessage());
    }
    HandlerScan scan = common.scanWithoutConflicts();
    PrintWriter out = spec.commandLine().getOut();
    Handlers handlers = new Handlers(scan);
    ServerLog log = new ServerLog(out);
    WebhookServer server = start(config, handlers, log);
    StartupMessage.lines(server.localUrl(), config.publicUrl(), config.hasSecret(), scan.handlers())
        .forEach(out::println);
    if (scan.handlers().isEmpty()) {
      out.println(
          "No handlers in "
              + scan.dir()
              + " yet: add a .js, .mjs or .sh file; it is served as"
              + " soon as it is saved.");
    }
    out.flush();
    try {
      handlers.watch(log::info);
    } catch (IOException e) {
      log.info(
          "warning: cannot watch "
              + scan.dir()
              + " ("
              + e.getMessage()
              + "); restart to pick up changes");
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println("Stopping: letting running deliveries finish...");
                  out.flush();
                  server.close();
                  handlers.close();
                  out.println("Stopped.");
                  out.flush();
                  stopped.countDown();
                },
                "hf-webhooks-shutdown"));
    stopped.await();
    return ExitCode.OK;
  }

  private static WebhookServer start(ServerConfig config, Handlers handlers, ServerLog log) {
    try {
      return WebhookServer.start(config, handlers, log);
    } catch (RuntimeException e) {
      handlers.close();
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BindException) {
          throw UserError.failure(
              "cannot listen on %s:%d (%s): stop what uses it, or pass another --port"
                  .formatted(config.host(), config.port(), t.getMessage()),
              e);
        }
      }
      throw e;
    }
  }
}
