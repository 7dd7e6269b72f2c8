package dev.hfwebhooks.server;

import dev.hfwebhooks.flow.Lanes;
import dev.hfwebhooks.handler.Delivery;
import dev.hfwebhooks.handler.DeliveryRunner;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.DeliveryQueue;
import dev.hfwebhooks.journal.HeldDeliveries;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.payload.PayloadException;
import dev.hfwebhooks.payload.PayloadParser;
import dev.hfwebhooks.payload.WebhookPayload;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP side: {@code POST /webhooks/<name>} for each handler, and the {@link Console}'s routes
 * (the landing page, its assets, sample events, the journal's JSON endpoints, a health check).
 * Checks run in the order that tells an unauthenticated caller the least: route, secret, then the
 * body.
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
  private final @Nullable DeliveryQueue queue;
  private final FlowControl flow;
  private final Refusals refusals;
  private final SecretCheck secret;

  /** The checks of secrets that handlers' own code sets, by secret (few, and never removed). */
  private final Map<String, SecretCheck> handlerSecrets = new ConcurrentHashMap<>();

  private final InFlight inFlight = new InFlight();
  private final Responder responder;
  private final Javalin app;

  /**
   * Starts as the configured one; a tunnel gives its URL only once the port is bound, so it may
   * change while serving.
   */
  private volatile @Nullable String publicUrl;

  private WebhookServer(
      ServerConfig config,
      Handlers handlers,
      Journal journal,
      @Nullable DeliveryQueue queue,
      @Nullable HeldDeliveries held,
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
    this.responder = new Responder(log);
    Console console =
        new Console(
            config,
            handlers,
            journal,
            queue,
            log,
            inFlight,
            responder,
            () -> publicUrl,
            this::localUrl);
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
              javalin.routes.get("/", console::landingPage);
              javalin.routes.get("/console", console::console);
              javalin.routes.get("/assets/{file}", console::asset);
              javalin.routes.get("/samples/{file}", console::sample);
              javalin.routes.get("/api/deliveries", console.api(console::deliveries));
              javalin.routes.get("/api/deliveries/{id}", console.api(console::deliveryRecord));
              javalin.routes.post("/api/deliveries/{id}/replay", console.api(console::replay));
              javalin.routes.get("/healthz", console::health);
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
      ServerConfig config,
      Handlers handlers,
      Journal journal,
      @Nullable DeliveryQueue queue,
      ServerLog log) {
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
      @Nullable DeliveryQueue queue,
      @Nullable HeldDeliveries held,
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
  public @Nullable String publicUrl() {
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
        refuse(ctx, name, start, responder.internalError(e));
      } finally {
        inFlight.leave();
      }
    } catch (HttpError e) {
      refuse(ctx, name, start, e);
    }
  }

  private void refuse(Context ctx, String name, long start, HttpError e) {
    String unanswerable = RequestBody.skipRest(ctx);
    log.info(
        "POST /webhooks/%s %d %s (%s%s)"
            .formatted(
                name,
                e.status(),
                Responder.millis(start),
                e.getMessage(),
                unanswerable == null ? "" : "; not answered: " + unanswerable));
    if (unanswerable == null) {
      responder.respond(ctx, e);
    }
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
    byte[] body = RequestBody.read(ctx, config.maxBodyBytes());
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
              .formatted(handler.name(), Responder.millis(start), id));
      ctx.header(DELIVERY_ID_HEADER, id);
      responder.send(
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
                Responder.millis(start),
                id,
                outcome.succeeded() ? "" : " (" + outcome.error() + ")"));
    ctx.header(DELIVERY_ID_HEADER, id);
    if (outcome.succeeded()) {
      // Outcome.succeeded(answer, log) is the one way to a success, and it takes an answer.
      Outcome.Answer answer = Objects.requireNonNull(outcome.answer());
      responder.send(
          ctx,
          status,
          answer.json() ? "application/json" : "text/plain; charset=utf-8",
          answer.body());
    } else {
      responder.send(
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
            .formatted(handler.name(), e.status(), Responder.millis(start), id, e.note()));
    ctx.header(DELIVERY_ID_HEADER, id);
    responder.send(ctx, e.status(), "application/json", e.body());
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
    if (RequestBody.skipRest(ctx) == null) {
      responder.respond(ctx, error);
    }
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
