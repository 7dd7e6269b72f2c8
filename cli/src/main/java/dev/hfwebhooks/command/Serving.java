package dev.hfwebhooks.command;

import dev.hfwebhooks.flow.Debounce;
import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.python.PythonSettings;
import dev.hfwebhooks.hub.HubClient;
import dev.hfwebhooks.hub.Registration;
import dev.hfwebhooks.journal.DeliveryQueue;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.HeldDeliveries;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.JournalStore;
import dev.hfwebhooks.journal.RecordedRun;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.RetryPolicy;
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
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * What {@code serve} does once its options are checked: opens the journal, starts the server, the
 * tunnel and the Hub registration, prints the start-up lines, and waits until a signal or the
 * tunnel's loss stops it all (through {@link Shutdown}). Kept apart from the picocli class so that
 * the command stays a parser and this reads as the order things happen in.
 */
final class Serving {
  /** How long a server waits for its handlers to get ready before it serves anyway. */
  private static final Duration WARM_UP_LIMIT = Duration.ofSeconds(10);

  private static final JournalStore.Held NO_JOURNAL = new JournalStore.Held(Journal.none(), null);

  private final ServerConfig config;
  private final @Nullable TunnelSpec tunnelSpec;
  private final @Nullable String spaceUrl;
  private final boolean register;
  private final @Nullable String hubSecret;
  private final boolean async;
  private final int retries;
  private final Duration retryDelay;
  private final int workers;
  private final @Nullable JournalStore store;
  private final Retention retention;
  private final PythonSettings python;
  private final boolean verbose;
  private final Map<String, String> environment;
  private final PrintWriter out;

  /**
   * @param tunnelSpec the tunnel client to run, or null
   * @param spaceUrl the Space's public URL when on a Space, else null
   * @param hubSecret the secret for Hub webhooks as given (null: keep theirs; empty: remove it)
   * @param store where the journal is, or null for no journal
   * @param verbose whether to echo the tunnel client's output
   */
  Serving(
      ServerConfig config,
      @Nullable TunnelSpec tunnelSpec,
      @Nullable String spaceUrl,
      boolean register,
      @Nullable String hubSecret,
      boolean async,
      int retries,
      Duration retryDelay,
      int workers,
      @Nullable JournalStore store,
      Retention retention,
      PythonSettings python,
      boolean verbose,
      Map<String, String> environment,
      PrintWriter out) {
    this.config = config;
    this.tunnelSpec = tunnelSpec;
    this.spaceUrl = spaceUrl;
    this.register = register;
    this.hubSecret = hubSecret;
    this.async = async;
    this.retries = retries;
    this.retryDelay = retryDelay;
    this.workers = workers;
    this.store = store;
    this.retention = retention;
    this.python = python;
    this.verbose = verbose;
    this.environment = environment;
    this.out = out;
  }

  /** Serves {@code scan}'s folder until stopped; the exit code. */
  int run(HandlerScan scan) throws InterruptedException {
    // A malformed directive or a missing token stops --register before anything starts.
    List<Directives.Declared> declared = register ? HubSetup.directives(scan) : List.of();
    HubClient hub = register ? HubSetup.connect(environment) : null;
    ServerLog log = new ServerLog(out);
    if (store == null) {
      refuseDebounceWithoutJournal(scan);
    }
    Handlers handlers = new Handlers(scan, python);
    handlers.logLoadsTo(log::handlerLine);
    // Handlers get ready while the journal opens, not on the first delivery.
    Handlers.WarmUp warmUp = handlers.warmUp();
    JournalStore.Held recording;
    try {
      recording = store == null ? NO_JOURNAL : openJournal(store, retention, log);
    } catch (RuntimeException e) {
      handlers.close();
      throw e;
    }
    DeliveryQueue queue = null;
    if (recording.journal() != Journal.none()) {
      queue =
          new DeliveryQueue(
              recording.journal(),
              record ->
                  RecordedRun.run(
                      handlers,
                      record,
                      config.timeout(),
                      line -> log.handlerLine(record.handler(), line)),
              // Without --async a failure is the caller's answer, not retried; the queue then
              // only runs what a crash left behind, once.
              RetryPolicy.of(async ? retries : 0, retryDelay),
              workers,
              DeliveryQueue.Scheduler.thread(),
              RandomGenerator.getDefault(),
              log::info);
    }
    // Before the server takes requests: a delivery it accepts meanwhile would be running too, and
    // taken for one the last server left running.
    List<DeliverySummary> left = List.of();
    if (queue != null) {
      try {
        left = recording.journal().recover();
      } catch (JournalException e) {
        log.info("warning: cannot run what the last server left unfinished: " + e.getMessage());
      }
    }
    HeldDeliveries held =
        queue == null
            ? null
            : HeldDeliveries.toQueue(
                recording.journal(),
                queue,
                handlers,
                DeliveryQueue.Scheduler.thread("hf-webhooks-debounce"),
                log::info);
    // The server says it is ready only once its handlers are (the Hub's first delivery may come
    // at once, as to a Space waking up); an import slower than this goes on in the background.
    List<String> importing = warmUp.await(WARM_UP_LIMIT);
    if (!importing.isEmpty()) {
      log.info(
          "still importing "
              + String.join(", ", importing)
              + " after "
              + WARM_UP_LIMIT.toSeconds()
              + " s; serving meanwhile (a delivery to it waits for the import)");
    }
    WebhookServer server;
    try {
      server = start(config, handlers, recording.journal(), async ? queue : null, held, log);
    } catch (RuntimeException e) {
      recording.close();
      if (hub != null) {
        hub.close();
      }
      throw e;
    }
    Shutdown shutdown = new Shutdown(out, server, queue, handlers, recording, config.drainGrace());
    if (held != null) {
      shutdown.add(held);
    }
    shutdown.install();
    StartupMessage.head(server.localUrl(), config.hasSecret()).forEach(out::println);
    out.println(journalLine(recording));
    if (queue != null && !left.isEmpty()) { // only a queue recovers any
      Journal journal = recording.journal();
      int recovered =
          queue.resume(
              left,
              d ->
                  journal.find(d.id()).map(r -> handlers.lane(r.handler(), r.body())).orElse(null));
      log.info(recovered + " deliveries left unfinished by the last server: running them.");
    }
    if (queue != null) {
      // A journal other servers share hands out deliveries; one this server keeps does nothing.
      queue.startClaiming(r -> handlers.lane(r.handler(), r.body()));
    }
    if (held != null) {
      try {
        held.resume();
      } catch (JournalException e) {
        log.info("warning: cannot schedule the deliveries @debounce holds: " + e.getMessage());
      }
    }

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
      // ServeCommand refuses --register without a way to a public URL, and a tunnel's is known
      // by now.
      String baseUrl =
          Objects.requireNonNull(server.publicUrl(), "--register without a public URL");
      Registering.sync(registration, scan, declared, baseUrl, hubSecret, shutdown, out);
    }
    StartupMessage.webhooks(server.localUrl(), server.publicUrl(), scan.handlers())
        .forEach(out::println);
    if (scan.handlers().isEmpty()) {
      out.println(
          "No handlers in "
              + scan.dir()
              + " yet: add a .py, .js, .mjs or .sh file; it is served as"
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
    // Without a tunnel, lost never completes: only a request ends the wait.
    if (tunnel != null && !shutdown.requested().isDone()) {
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
   * Starts the tunnel client and waits for its URL; null when a signal stopped everything
   * meanwhile. A failure stops the server too: {@code --tunnel} asked for a public URL.
   */
  private @Nullable Tunnel openTunnel(
      TunnelSpec tunnelSpec,
      List<String> secrets,
      WebhookServer server,
      Shutdown shutdown,
      ServerLog log)
      throws InterruptedException {
    Consumer<String> echo = verbose ? line -> log.info("[tunnel] " + line) : line -> {};
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

  /**
   * Opens the journal before anything listens, so that a read-only disk, a locked database, a
   * database out of reach or another serve on the same data dir stop serve at start, not at its
   * first delivery.
   */
  private static JournalStore.Held openJournal(
      JournalStore store, Retention retention, ServerLog log) {
    try {
      return store.openForServe(retention, log::info);
    } catch (JournalException e) {
      throw UserError.failure(e.getMessage(), e);
    }
  }

  private String journalLine(JournalStore.Held recording) {
    if (recording.journal() == Journal.none()) {
      return "Journal: off (--no-journal): deliveries are not recorded.";
    }
    return "Journal: "
        + recording.journal().location()
        + (async
            ? " (--async: deliveries are answered 202 once recorded, %d at once, %d retries)"
                .formatted(workers, retries)
            : "");
  }

  /**
   * {@code @debounce} keeps held deliveries in the journal: without one, a handler that declares it
   * is an error at start, as a malformed directive is.
   */
  private static void refuseDebounceWithoutJournal(HandlerScan scan) {
    for (HandlerFile file : scan.handlers()) {
      Debounce debounce = Directives.read(file).flow().debounce();
      if (debounce != null) {
        throw UserError.usage(
            "%s line %d: @debounce needs the journal, which keeps held deliveries across"
                    .formatted(file.path(), debounce.line())
                + " restarts: serve without --no-journal");
      }
    }
  }

  private static WebhookServer start(
      ServerConfig config,
      Handlers handlers,
      Journal journal,
      @Nullable DeliveryQueue queue,
      @Nullable HeldDeliveries held,
      ServerLog log) {
    try {
      return WebhookServer.start(config, handlers, journal, queue, held, log);
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
