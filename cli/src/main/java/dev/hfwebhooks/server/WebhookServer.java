package dev.hfwebhooks.server;

import dev.hfwebhooks.flow.Lanes;
import dev.hfwebhooks.handler.Delivery;
import dev.hfwebhooks.handler.DeliveryRunner;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DeliveryQueue;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.HeldDeliveries;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.RecordedRun;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.payload.PayloadException;
import dev.hfwebhooks.payload.PayloadParser;
import dev.hfwebhooks.payload.WebhookPayload;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The HTTP side: {@code POST /webhooks/<name>} for each handler, the console (the landing page, its
 * assets, sample events and the journal's JSON endpoints) and a health check. Checks run in the
 * order that tells an unauthenticated caller the least: route, secret, then the body.
 *
 * <p>Who may read what: the landing page and the list of recent deliveries (time, handler, status,
 * duration) are public, as the landing page always was; a delivery's payload, headers and output,
 * and replaying it, take the webhook secret in {@code X-Webhook-Secret} when the server has one.
 *
 * <p>A delivery that passes them is recorded in the journal before its handler runs. Without a
 * queue the handler runs at once and its outcome is the answer; with one ({@code --async}) the
 * answer is 202 as soon as the delivery is durably recorded, and the queue runs it.
 */
public final class WebhookServer implements AutoCloseable {
  private static final String DELIVERY_ID_HEADER = "X-Delivery-Id";

  /** Methods that answer 405 on a webhook route (POST is the route itself). */
  private static final List<HandlerType> OTHER_METHODS =
      List.of(
          HandlerType.GET,
          HandlerType.PUT,
          HandlerType.PATCH,
          HandlerType.DELETE,
          HandlerType.HEAD,
          HandlerType.OPTIONS);

  private final ServerConfig config;
  private final Handlers handlers;
  private final ServerLog log;
  private final Journal journal;
  private final DeliveryQueue queue;
  private final FlowControl flow;
  private final Refusals refusals;
  private final SecretCheck secret;

  /** The checks of secrets that handlers' own code sets, by secret (few, and never removed). */
  private final Map<String, SecretCheck> handlerSecrets = new ConcurrentHashMap<>();

  private final InFlight inFlight = new InFlight();
  private final Javalin app;

  /**
   * Starts as the configured one; a tunnel gives its URL only once the port is bound, so it may
   * change while serving.
   */
  private volatile String publicUrl;

  /** How many deliveries the landing page lists. */
  static final int RECENT = 20;

  /** The most {@code GET /api/deliveries} lists at once. */
  static final int MAX_LIST = 200;

  private WebhookServer(
      ServerConfig config,
      Handlers handlers,
      Journal journal,
      DeliveryQueue queue,
      HeldDeliveries held,
      ServerLog log) {
    this.config = config;
    this.refusals = new Refusals(log);
    this.flow = new FlowControl(handlers, journal, held, config.timeout(), log, refusals);
    this.publicUrl = config.publicUrl();
    this.handlers = handlers;
    this.journal = journal;
    this.queue = queue;
    this.log = log;
    this.secret = new SecretCheck(config.secret());
    this.app =
        Javalin.create(
            javalin -> {
              javalin.startup.showJavalinBanner = false;
              javalin.startup.showOldJavalinVersionWarning = false;
              javalin.jetty.host = config.host();
              javalin.jetty.port = config.port();
              // Jetty's graceful stop lets a response already produced reach its client before
              // the connection closes; InFlight covers the handlers still running.
              javalin.jetty.modifyServer(
                  server -> {
                    server.setStopTimeout(5_000);
                    server.insertHandler(new GracefulHandler());
                  });
              javalin.routes.get("/", this::landingPage);
              javalin.routes.get("/console", this::console);
              javalin.routes.get("/assets/{file}", this::asset);
              javalin.routes.get("/samples/{file}", this::sample);
              javalin.routes.get("/api/deliveries", api(this::deliveries));
              javalin.routes.get("/api/deliveries/{id}", api(this::deliveryRecord));
              javalin.routes.post("/api/deliveries/{id}/replay", api(this::replay));
              javalin.routes.get("/healthz", this::health);
              // <name> takes slashes: a Python app may register a route such as a/b.
              javalin.routes.post("/webhooks/<name>", this::delivery);
              for (HandlerType method : OTHER_METHODS) {
                javalin.routes.addHttpHandler(method, "/webhooks/<name>", this::wrongMethod);
              }
            });
  }

  /** Starts serving {@code handlers} without a journal; the caller owns them. */
  public static WebhookServer start(ServerConfig config, Handlers handlers, ServerLog log) {
    return start(config, handlers, Journal.none(), null, log);
  }

  /**
   * Starts serving {@code handlers}, recording each delivery in {@code journal}, and running it on
   * {@code queue} when there is one ({@code --async}), else at once. The caller owns all of them
   * and closes the server first.
   */
  public static WebhookServer start(
      ServerConfig config, Handlers handlers, Journal journal, DeliveryQueue queue, ServerLog log) {
    return start(config, handlers, journal, queue, null, log);
  }

  /**
   * As {@link #start(ServerConfig, Handlers, Journal, DeliveryQueue, ServerLog)}, holding the
   * deliveries of {@code @debounce} handlers in {@code held} (null without a journal: such a
   * handler's deliveries then fail).
   */
  public static WebhookServer start(
      ServerConfig config,
      Handlers handlers,
      Journal journal,
      DeliveryQueue queue,
      HeldDeliveries held,
      ServerLog log) {
    WebhookServer server = new WebhookServer(config, handlers, journal, queue, held, log);
    server.app.start();
    return server;
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return app.port();
  }

  /** The URL to reach this server from this machine. */
  public String localUrl() {
    String host = config.host();
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      host = "127.0.0.1"; // listening everywhere; loopback is the address that always works
    } else if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + port();
  }

  /** The URL to give the Hub: the public one when there is one, else the local one. */
  public String baseUrl() {
    String url = publicUrl;
    return url != null ? url : localUrl();
  }

  /** The public base URL, or null while there is none. */
  public String publicUrl() {
    return publicUrl;
  }

  /** Sets the public base URL learned after start (a tunnel's); the landing page shows it. */
  public void usePublicUrl(String url) {
    publicUrl = ServerConfig.normalizedUrl(url);
  }

  private void delivery(Context ctx) {
    long start = System.nanoTime();
    String name = ctx.pathParam("name");
    try {
      Handler handler = handlers.find(name).orElseThrow(() -> HttpError.notFound(name));
      if (!inFlight.enter()) {
        throw new HttpError(503, "Server is shutting down; send again in a moment.");
      }
      // Errors are answered here, while the delivery still counts as in flight: see send().
      try {
        deliver(ctx, handler, start);
      } catch (HttpError e) {
        refuse(ctx, name, start, e);
      } catch (RuntimeException e) {
        refuse(ctx, name, start, internalError(e));
      } finally {
        inFlight.leave();
      }
    } catch (HttpError e) {
      refuse(ctx, name, start, e);
    }
  }

  private void refuse(Context ctx, String name, long start, HttpError e) {
    log.info(
        "POST /webhooks/%s %d %s (%s)".formatted(name, e.status(), millis(start), e.getMessage()));
    respond(ctx, e);
  }

  /** A bug, not a bad request: logged whole, answered as a JSON 500 like any other error. */
  private HttpError internalError(RuntimeException e) {
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    log.info("internal error: " + trace.toString().stripTrailing());
    return new HttpError(500, "Internal error: " + e);
  }

  private void deliver(Context ctx, Handler handler, long start) throws HttpError {
    String given = ctx.header(SecretCheck.HEADER);
    SecretCheck check;
    try {
      check =
          handler
              .secret(config.timeout())
              .map(s -> handlerSecrets.computeIfAbsent(s, SecretCheck::new))
              .orElse(secret);
    } catch (Handler.SecretUnknown e) {
      // Fail closed: a route whose code sets its own secret is never run unchecked.
      log.info("POST /webhooks/%s: %s".formatted(handler.name(), e.getMessage()));
      throw new HttpError(503, "This webhook is not ready; send it again in a moment.");
    }
    check.check(given != null ? given : ctx.queryParam(SecretCheck.QUERY_PARAM));
    byte[] body = readBody(ctx);
    WebhookPayload payload;
    try {
      payload = PayloadParser.parse(body);
    } catch (PayloadException e) {
      throw HttpError.of(e);
    }
    String id = Delivery.newId();
    NewDelivery arrived =
        new NewDelivery(id, Instant.now(), handler.name(), body, headersWithoutSecret(ctx));
    FlowControl.Passed passed;
    switch (flow.before(handler, arrived)) {
      case FlowControl.Ended ended -> {
        answer(ctx, handler, id, start, ended);
        return;
      }
      case FlowControl.Passed p -> passed = p;
    }
    if (queue != null) {
      record(
          () -> {
            journal.enqueue(arrived);
            return null;
          },
          handler);
      queue.submit(id, flow.lane(handler, passed));
      log.info(
          "POST /webhooks/%s 202 %s delivery=%s (queued)"
              .formatted(handler.name(), millis(start), id));
      ctx.header(DELIVERY_ID_HEADER, id);
      send(
          ctx,
          202,
          "application/json",
          Json.write(Json.object().put("delivery", id).put("status", "queued")));
      return;
    }
    int attempt = record(() -> journal.acceptRunning(arrived), handler);
    Lanes.Lane lane = flow.lane(handler, passed);
    Lanes.Turn turn = null;
    if (lane != null) {
      FlowControl.Waited waited = flow.awaitTurn(handler, id, attempt, passed, lane);
      if (waited.ended() != null) {
        answer(ctx, handler, id, start, waited.ended());
        return;
      }
      turn = waited.turn();
    }
    Delivery delivery =
        new Delivery(
            id,
            body,
            payload,
            arrived.headers(),
            config.timeout(),
            line -> log.handlerLine(handler.name(), line));
    Outcome outcome;
    try {
      outcome = DeliveryRunner.run(handler, delivery);
    } finally {
      if (turn != null) {
        turn.leave();
      }
    }
    AttemptResult result = AttemptResult.of(outcome);
    try {
      journal.finish(id, attempt, result, result.status());
    } catch (JournalException e) {
      // The handler ran and the caller gets its answer; the record says running, and the next
      // start runs it again (at least once).
      log.info(
          "warning: delivery=%s ran, but its outcome was not recorded: %s"
              .formatted(id, e.getMessage()));
    }
    int status = outcome.result().httpStatus();
    log.info(
        "POST /webhooks/%s %d %s delivery=%s%s"
            .formatted(
                handler.name(),
                status,
                millis(start),
                id,
                outcome.succeeded() ? "" : " (" + outcome.error() + ")"));
    ctx.header(DELIVERY_ID_HEADER, id);
    if (outcome.succeeded()) {
      send(
          ctx,
          status,
          outcome.answer().json() ? "application/json" : "text/plain; charset=utf-8",
          outcome.answer().body());
    } else {
      send(
          ctx,
          status,
          "application/json",
          Json.write(Json.object().put("error", outcome.error()).put("delivery", id)));
    }
  }

  /** Sends how flow control ended a delivery, and logs it. */
  private void answer(Context ctx, Handler handler, String id, long start, FlowControl.Ended e) {
    log.info(
        "POST /webhooks/%s %d %s delivery=%s (%s)"
            .formatted(handler.name(), e.status(), millis(start), id, e.note()));
    ctx.header(DELIVERY_ID_HEADER, id);
    send(ctx, e.status(), "application/json", e.body());
  }

  /**
   * Writes and completes the response now, where {@code ctx.result} would leave it to Javalin after
   * the route returns. A delivery's answer must be sent before it stops counting as in flight:
   * close() stops Jetty once nothing is in flight, and a stopping Jetty at once expires a
   * connection idle for over a second (as one is after a long handler) and fails a write still
   * pending (a slow client's), so an answer written after that was cut or lost.
   */
  private void send(Context ctx, int status, String contentType, String body) {
    ctx.status(status).contentType(contentType);
    try {
      try (OutputStream out = ctx.outputStream()) {
        out.write(body.getBytes(StandardCharsets.UTF_8));
      }
      // Javalin's stream closes only its compressor, when it compressed; Jetty keeps up to 8 KB
      // of an answer until its own stream closes, which completes the response.
      ctx.res().getOutputStream().close();
    } catch (IOException e) {
      log.info(
          "warning: the answer to %s %s could not be sent: %s"
              .formatted(ctx.method(), ctx.path(), e.getMessage()));
    }
  }

  /** Records a delivery before anything runs; without a record, nothing runs (503). */
  private <T> T record(Supplier<T> write, Handler handler) throws HttpError {
    T recorded;
    try {
      recorded = write.get();
    } catch (JournalException e) {
      throw refusals.refuse(handler, e);
    }
    refusals.recorded();
    return recorded;
  }

  /**
   * Reads at most the limit plus one byte, so an oversized body costs no more than the limit even
   * when it lies about (or omits) its Content-Length.
   */
  private byte[] readBody(Context ctx) throws HttpError {
    long limit = config.maxBodyBytes();
    if (ctx.req().getContentLengthLong() > limit) {
      throw HttpError.tooLarge(limit);
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
      if (body.length > limit) {
        throw HttpError.tooLarge(limit);
      }
      return body;
    } catch (IOException e) {
      throw new HttpError(400, "Body could not be read: " + e.getMessage());
    }
  }

  private static Map<String, String> headersWithoutSecret(Context ctx) {
    Map<String, String> headers = new LinkedHashMap<>();
    ctx.headerMap()
        .forEach(
            (key, value) -> {
              if (!key.equalsIgnoreCase(SecretCheck.HEADER)) {
                headers.put(key.toLowerCase(Locale.ROOT), value);
              }
            });
    return headers;
  }

  private void wrongMethod(Context ctx) {
    String name = ctx.pathParam("name");
    HttpError error =
        handlers.find(name).isEmpty()
            ? HttpError.notFound(name)
            : new HttpError(405, "Webhooks take POST only; " + ctx.method() + " is not allowed.");
    if (error.status() == 405) {
      ctx.header("Allow", "POST");
    }
    respond(ctx, error);
  }

  private void respond(Context ctx, HttpError error) {
    send(ctx, error.status(), "application/json", error.json());
  }

  private void health(Context ctx) {
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
  private void landingPage(Context ctx) {
    Path custom = customPage();
    if (custom == null) {
      console(ctx);
      return;
    }
    try {
      ctx.contentType("text/html; charset=utf-8").result(Files.readAllBytes(custom));
    } catch (IOException e) {
      respond(ctx, new HttpError(500, "Cannot read the page " + custom + ": " + e.getMessage()));
    }
  }

  /**
   * {@code --ui}, else {@code index.html} in the handlers folder, looked up on each request so that
   * one added while serving shows at once (the scan never serves it as a handler).
   */
  private Path customPage() {
    if (config.ui() != null) {
      return config.ui();
    }
    Path index = handlers.scan().dir().resolve("index.html");
    return Files.isRegularFile(index) ? index : null;
  }

  /**
   * The built-in console, also at {@code /console} so that it stays reachable under a user page.
   */
  private void console(Context ctx) {
    String base = publicUrl;
    if (base == null) {
      String host = ctx.header("Host");
      base = host == null || host.isBlank() ? localUrl() : ctx.scheme() + "://" + host;
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

  private void asset(Context ctx) {
    Assets.find(ctx.pathParam("file"))
        .ifPresentOrElse(
            asset ->
                ctx.contentType(asset.contentType())
                    .header("Cache-Control", "no-cache")
                    .result(asset.bytes()),
            () -> respond(ctx, new HttpError(404, "No such file.")));
  }

  private void sample(Context ctx) {
    Samples.read(ctx.pathParam("file"))
        .ifPresentOrElse(
            bytes -> ctx.contentType("application/json").result(bytes),
            () -> respond(ctx, new HttpError(404, "No such sample event.")));
  }

  /** A JSON endpoint's body, which answers an {@link HttpError} as its JSON. */
  private interface ApiRoute {
    void handle(Context ctx) throws HttpError;
  }

  private io.javalin.http.Handler api(ApiRoute route) {
    return ctx -> {
      try {
        route.handle(ctx);
      } catch (HttpError e) {
        respond(ctx, e);
      } catch (JournalException e) {
        respond(ctx, new HttpError(503, "The journal cannot be read: " + e.getMessage()));
      }
    };
  }

  /** Public: time, handler, status and duration only. */
  private void deliveries(Context ctx) throws HttpError {
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
  private void deliveryRecord(Context ctx) throws HttpError {
    secret.check(ctx.header(SecretCheck.HEADER));
    ctx.contentType("application/json")
        .header("Cache-Control", "no-store")
        .result(DeliveryJson.record(recorded(ctx.pathParam("id"))));
  }

  /** Runs a recorded delivery again as {@code hf-webhooks replay} does, and answers how it went. */
  private void replay(Context ctx) throws HttpError {
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
                  record.id(), millis(start), replay.attempt(), replay.result().status().label()));
      send(
          ctx,
          200,
          "application/json",
          DeliveryJson.replay(record.id(), record.summary().replayNote(), replay));
    } catch (JournalException e) {
      // Errors are answered here, while the replay still counts as in flight: see send().
      respond(ctx, HttpError.of(e));
    } catch (RuntimeException e) {
      respond(ctx, internalError(e));
    } finally {
      inFlight.leave();
    }
  }

  private DeliveryRecord recorded(String id) throws HttpError {
    return journal
        .find(id)
        .orElseThrow(() -> new HttpError(404, "No delivery \"" + id + "\" in the journal."));
  }

  private static String millis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000 + " ms";
  }

  /**
   * Stops taking deliveries (new ones get 503), waits for those running to finish, for at most
   * {@link ServerConfig#MAX_DRAIN} (or the delivery timeout when shorter), ends any handler process
   * still running, then stops the HTTP server.
   */
  @Override
  public void close() {
    inFlight.drain();
    Duration grace = config.drainGrace();
    if (!inFlight.awaitIdle(grace)) {
      log.info("Deliveries still running after " + grace.toSeconds() + " s; stopping them.");
      handlers.terminateRunning(Duration.ofSeconds(1));
      inFlight.awaitIdle(Duration.ofSeconds(5));
    }
    app.stop();
  }
}
