package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.hub.HubClient;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.PartialSyncException;
import dev.hfwebhooks.hub.Registration;
import dev.hfwebhooks.hub.Sync;
import dev.hfwebhooks.hub.WebhookSpec;
import dev.hfwebhooks.server.ServerConfig;
import dev.hfwebhooks.server.ServerLog;
import dev.hfwebhooks.server.StartupMessage;
import dev.hfwebhooks.server.WebhookServer;
import dev.hfwebhooks.tunnel.Tunnel;
import dev.hfwebhooks.tunnel.TunnelException;
import dev.hfwebhooks.tunnel.TunnelSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

  @Mixin TunnelOptions tunnelOptions;

  @Option(
      names = "--register",
      description =
          "Once the public URL is known, create or update a Hub webhook for each handler that"
              + " declares @watch, as hub sync does. With --tunnel, those it created are deleted"
              + " on exit; with a stable URL (a Space's, --public-url) they stay.")
  boolean register;

  @ParentCommand HfWebhooksCommand root;

  @Override
  public Integer call() throws InterruptedException {
    if (timeoutSeconds <= 0) {
      throw UserError.usage("--timeout must be at least 1 second, not " + timeoutSeconds);
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
    ServerConfig config;
    try {
      config =
          new ServerConfig(
              host,
              port,
              secret,
              Duration.ofSeconds(timeoutSeconds),
              maxBody,
              publicUrl != null ? publicUrl : spaceUrl);
    } catch (IllegalArgumentException e) {
      throw UserError.usage(e.getMessage());
    }
    HandlerScan scan = common.scanWithoutConflicts();
    // A malformed directive or a missing token stops --register before anything starts.
    List<Directives.Declared> declared = register ? HubSetup.directives(scan) : List.of();
    HubClient hub = register ? HubSetup.connect(root.environment()) : null;
    PrintWriter out = spec.commandLine().getOut();
    ServerLog log = new ServerLog(out);
    Handlers handlers = new Handlers(scan);
    WebhookServer server;
    try {
      server = start(config, handlers, log);
    } catch (RuntimeException e) {
      if (hub != null) {
        hub.close();
      }
      throw e;
    }
    Shutdown shutdown = new Shutdown(out, server, handlers);
    shutdown.install();
    StartupMessage.head(server.localUrl(), config.hasSecret()).forEach(out::println);

    Tunnel tunnel = null;
    if (tunnelSpec != null && spaceUrl != null) {
      out.println(
          "SPACE_HOST is set: on a Hugging Face Space the public URL is "
              + spaceUrl
              + "; no tunnel is needed.");
    } else if (tunnelSpec != null) {
      out.printf("Opening a public URL with %s...%n", tunnelSpec.client());
      out.flush();
      tunnel =
          openTunnel(
              tunnelSpec, Stream.ofNullable(config.secret()).toList(), server, shutdown, log);
      if (tunnel == null) {
        shutdown.stop(true); // a signal came first: waits for the hook
        if (hub != null) {
          hub.close(); // nothing was registered
        }
        return ExitCode.OK;
      }
    }
    if (hub != null) {
      // A tunnel's URL dies with this run, so what it created goes with it; a stable one stays.
      Registration registration = new Registration(hub, tunnel == null);
      shutdown.add(registration);
      register(registration, scan, declared, server.publicUrl(), shutdown, out);
    }
    StartupMessage.webhooks(server.localUrl(), server.publicUrl(), scan.handlers())
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

    CompletableFuture<String> lost = tunnel != null ? tunnel.lost() : new CompletableFuture<>();
    try {
      CompletableFuture.anyOf(shutdown.requested(), lost).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e); // neither future ever fails
    }
    if (!shutdown.requested().isDone()) {
      // The client ended by itself. A restart would give a new URL the registered webhooks do
      // not know, so stop and say so rather than serve on at an address nobody reaches.
      log.info(tunnel.client() + " exited: the public URL no longer works. Stopping.");
      shutdown.stopBeforeExit(true);
      throw UserError.failure(lost.join(), null);
    }
    shutdown.stop(true); // waits for the hook
    return ExitCode.OK;
  }

  /**
   * Syncs the handlers' webhooks for {@code baseUrl}, printing each step. A failure with a tunnel's
   * URL stops everything (nothing would reach this server); with a stable URL the server serves on,
   * since the webhooks registered by an earlier run still work.
   */
  private void register(
      Registration registration,
      HandlerScan scan,
      List<Directives.Declared> declared,
      String baseUrl,
      Shutdown shutdown,
      PrintWriter out) {
    List<WebhookSpec> specs = HubSetup.specs(declared, baseUrl, secret);
    if (specs.isEmpty()) {
      out.println(
          "--register: no handler declares @watch, so nothing is registered on the Hub (add a"
              + " comment such as `// @watch model:you/your-model` to a handler).");
      out.flush();
      return;
    }
    HubClient hub = registration.hub();
    out.printf(
        "Registering webhooks on %s for %s (token from %s):%n",
        hub.endpoint(), baseUrl, hub.tokenSource());
    out.flush();
    Set<String> names = scan.handlers().stream().map(HandlerFile::name).collect(Collectors.toSet());
    try {
      Sync.Plan plan = Sync.plan(baseUrl, specs, names, hub.list(), false);
      Sync.Summary summary =
          registration.register(
              plan,
              line -> {
                out.println(line);
                out.flush();
              });
      out.println(
          "Registered: "
              + summary
              + (registration.keeps()
                  ? "; they stay on the Hub after this run."
                  : "; those created are deleted from the Hub when the server stops."));
      out.flush();
    } catch (HubException | PartialSyncException e) {
      if (registration.keeps()) {
        out.println(
            "warning: "
                + e.getMessage()
                + ". Serving on: webhooks registered by an earlier run still work.");
        out.flush();
        return;
      }
      shutdown.stopBeforeExit(false);
      HubException cause = e instanceof HubException h ? h : ((PartialSyncException) e).hubError();
      throw HubSetup.error(new HubException(cause.kind(), e.getMessage(), e));
    }
  }

  /**
   * Starts the tunnel client and waits for its URL; null when a signal stopped everything
   * meanwhile. A failure stops the server too: {@code --tunnel} asked for a public URL.
   */
  private Tunnel openTunnel(
      TunnelSpec tunnelSpec,
      List<String> secrets,
      WebhookServer server,
      Shutdown shutdown,
      ServerLog log)
      throws InterruptedException {
    Consumer<String> echo = common.verbose ? line -> log.info("[tunnel] " + line) : line -> {};
    try {
      Tunnel tunnel = Tunnel.start(tunnelSpec, server.port(), secrets, echo);
      shutdown.add(tunnel);
      server.usePublicUrl(tunnel.awaitUrl());
      return tunnel;
    } catch (TunnelException e) {
      if (shutdown.requested().isDone()) {
        return null;
      }
      shutdown.stopBeforeExit(false);
      throw UserError.failure(e.getMessage(), e);
    }
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
