package dev.hfwebhooks.server;

import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.journal.DeliveryQueue;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.RecordedRun;
import dev.hfwebhooks.payload.Json;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The console's routes: the landing page (or the user's own), its assets and sample events, the
 * journal's JSON endpoints with replay, and the health check.
 *
 * <p>Who may read what: the landing page and the list of recent deliveries (time, handler, status,
 * duration) are public, as the landing page always was; a delivery's payload, headers and output,
 * and replaying it, take the webhook secret in {@code X-Webhook-Secret} when the server has one.
 */
final class Console {
  /** How many deliveries the landing page lists. */
  static final int RECENT = 20;

  /** The most {@code GET /api/deliveries} lists at once. */
  static final int MAX_LIST = 200;

  private final ServerConfig config;
  private final Handlers handlers;
  private final Journal journal;
  private final @Nullable DeliveryQueue queue;
  private final ServerLog log;
  private final SecretCheck secret;
  private final InFlight inFlight;
  private final Responder responder;
  private final Supplier<@Nullable String> publicUrl;
  private final Supplier<String> localUrl;

  /**
   * {@code queue} is null without {@code --async}; {@code publicUrl} gives null while there is no
   * public URL, as before a tunnel has given its own.
   */
  Console(
      ServerConfig config,
      Handlers handlers,
      Journal journal,
      @Nullable DeliveryQueue queue,
      ServerLog log,
      InFlight inFlight,
      Responder responder,
      Supplier<@Nullable String> publicUrl,
      Supplier<String> localUrl) {
    this.config = config;
    this.handlers = handlers;
    this.journal = journal;
    this.queue = queue;
    this.log = log;
    this.secret = new SecretCheck(config.secret());
    this.inFlight = inFlight;
    this.responder = responder;
    this.publicUrl = publicUrl;
    this.localUrl = localUrl;
  }

  void health(Context ctx) {
    ctx.contentType("application/json")
        .result(
            Json.write(
                Json.object()
                    .put("status", inFlight.isDraining() ? "stopping" : "ok")
                    .put("webhooks", handlers.all().size())
                    .put("inFlight", inFlight.count())
                    .put("queued", queue == null ? 0 : queue.pending())));
  }

  /** The user's own page when there is one ({@code --ui}, or index.html), else the console. */
  void landingPage(Context ctx) {
    Path custom = customPage();
    if (custom == null) {
      console(ctx);
      return;
    }
    try {
      ctx.contentType("text/html; charset=utf-8").result(Files.readAllBytes(custom));
    } catch (IOException e) {
      responder.respond(
          ctx, new HttpError(500, "Cannot read the page " + custom + ": " + e.getMessage()));
    }
  }

  /**
   * {@code --ui}, else {@code index.html} in the handlers folder, looked up on each request so that
   * one added while serving shows at once (the scan never serves it as a handler).
   */
  private @Nullable Path customPage() {
    if (config.ui() != null) {
      return config.ui();
    }
    Path index = handlers.scan().dir().resolve("index.html");
    return Files.isRegularFile(index) ? index : null;
  }

  /**
   * The built-in console, also at {@code /console} so that it stays reachable under a user page.
   */
  void console(Context ctx) {
    String base = publicUrl.get();
    if (base == null) {
      String host = ctx.header("Host");
      base = host == null || host.isBlank() ? localUrl.get() : ctx.scheme() + "://" + host;
    }
    List<DeliverySummary> recent;
    String journalProblem = null;
    try {
      recent = journal.list(Query.newest(RECENT));
    } catch (JournalException e) {
      recent = List.of();
      journalProblem = e.getMessage();
    }
    // Everything the page loads comes from this server; the policy makes a mistake visible.
    ctx.header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self';"
                + " img-src 'self' data:; form-action 'self'; base-uri 'none'")
        .contentType("text/html; charset=utf-8")
        .result(
            LandingPage.render(
                base,
                config.hasSecret(),
                handlers,
                new LandingPage.Recent(journal.location(), queue != null, recent, journalProblem)));
  }

  void asset(Context ctx) {
    Assets.find(ctx.pathParam("file"))
        .ifPresentOrElse(
            asset ->
                ctx.contentType(asset.contentType())
                    .header("Cache-Control", "no-cache")
                    .result(asset.bytes()),
            () -> responder.respond(ctx, new HttpError(404, "No such file.")));
  }

  void sample(Context ctx) {
    Samples.read(ctx.pathParam("file"))
        .ifPresentOrElse(
            bytes -> ctx.contentType("application/json").result(bytes),
            () -> responder.respond(ctx, new HttpError(404, "No such sample event.")));
  }

  /** A JSON endpoint's body, which answers an {@link HttpError} as its JSON. */
  interface ApiRoute {
    void handle(Context ctx) throws HttpError;
  }

  io.javalin.http.Handler api(ApiRoute route) {
    return ctx -> {
      try {
        route.handle(ctx);
      } catch (HttpError e) {
        responder.respond(ctx, e);
      } catch (JournalException e) {
        responder.respond(ctx, new HttpError(503, "The journal cannot be read: " + e.getMessage()));
      }
    };
  }

  /** Public: time, handler, status and duration only. */
  void deliveries(Context ctx) throws HttpError {
    int limit = RECENT;
    String given = ctx.queryParam("limit");
    if (given != null) {
      try {
        limit = Integer.parseInt(given.strip());
      } catch (NumberFormatException e) {
        limit = 0;
      }
      if (limit < 1 || limit > MAX_LIST) {
        throw new HttpError(400, "limit must be a number from 1 to " + MAX_LIST + ".");
      }
    }
    ctx.contentType("application/json")
        .header("Cache-Control", "no-store")
        .result(DeliveryJson.list(journal.list(Query.newest(limit))));
  }

  /** Private: the payload and the output, so the secret comes first. */
  void deliveryRecord(Context ctx) throws HttpError {
    secret.check(ctx.header(SecretCheck.HEADER));
    ctx.contentType("application/json")
        .header("Cache-Control", "no-store")
        .result(DeliveryJson.record(recorded(ctx.pathParam("id"))));
  }

  /** Runs a recorded delivery again as {@code hf-webhooks replay} does, and answers how it went. */
  void replay(Context ctx) throws HttpError {
    secret.check(ctx.header(SecretCheck.HEADER));
    DeliveryRecord record = recorded(ctx.pathParam("id"));
    Handler handler =
        handlers
            .find(record.handler())
            .orElseThrow(
                () ->
                    new HttpError(
                        409,
                        "No handler named \"%s\" on this server any more; delivery %s was for it."
                            .formatted(record.handler(), record.id())));
    if (!inFlight.enter()) {
      throw new HttpError(503, "Server is shutting down; replay it in a moment.");
    }
    try {
      long start = System.nanoTime();
      RecordedRun.Replay replay =
          RecordedRun.replay(
              journal,
              handler,
              record,
              config.timeout(),
              number -> {},
              line -> log.handlerLine(handler.name(), line));
      log.info(
          "POST /api/deliveries/%s/replay %s attempt=%d %s"
              .formatted(
                  record.id(),
                  Responder.millis(start),
                  replay.attempt(),
                  replay.result().status().label()));
      responder.send(
          ctx,
          200,
          "application/json",
          DeliveryJson.replay(record.id(), record.summary().replayNote(), replay));
    } catch (JournalException e) {
      // Errors are answered here, while the replay still counts as in flight: see responder.send().
      responder.respond(ctx, HttpError.of(e));
    } catch (RuntimeException e) {
      responder.respond(ctx, responder.internalError(e));
    } finally {
      inFlight.leave();
    }
  }

  private DeliveryRecord recorded(String id) throws HttpError {
    return journal
        .find(id)
        .orElseThrow(() -> new HttpError(404, "No delivery \"" + id + "\" in the journal."));
  }
}
