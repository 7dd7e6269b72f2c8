package dev.hfwebhooks.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.flow.Concurrency;
import dev.hfwebhooks.flow.Debounce;
import dev.hfwebhooks.flow.Filter;
import dev.hfwebhooks.flow.Flow;
import dev.hfwebhooks.flow.Lanes;
import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.HeldDeliveries;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.payload.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a handler file's flow control does to a delivery in serve before its handler runs: refuse it
 * (a malformed directive), filter it out ({@code @filter}), hold it ({@code @debounce}), or make it
 * wait for a turn ({@code @concurrency}). A step that ends the delivery records it in the journal
 * and gives the answer; the server sends it.
 */
final class FlowControl {
  /** What flow control did with a delivery: ended it here, or let it through. */
  sealed interface Step permits Ended, Passed {}

  /**
   * How flow control ended a delivery.
   *
   * @param status the HTTP status
   * @param body the JSON answer
   * @param note what the server's log line adds in parentheses
   */
  record Ended(int status, String body, String note) implements Step {}

  /**
   * A delivery that flow control let through, to queue or run.
   *
   * @param flow the flow of its handler as it was read
   * @param json the payload as JSON, when the flow needs it (else null)
   */
  record Passed(Flow flow, @Nullable JsonNode json) implements Step {}

  /** A turn that came, or the answer when none came in time. */
  record Waited(Lanes.@Nullable Turn turn, @Nullable Ended ended) {}

  private final Handlers handlers;
  private final Journal journal;
  private final @Nullable HeldDeliveries held;
  private final Duration timeout;
  private final ServerLog log;
  private final Refusals refusals;

  FlowControl(
      Handlers handlers,
      Journal journal,
      @Nullable HeldDeliveries held,
      Duration timeout,
      ServerLog log,
      Refusals refusals) {
    this.handlers = handlers;
    this.journal = journal;
    this.held = held;
    this.timeout = timeout;
    this.log = log;
    this.refusals = refusals;
  }

  /**
   * Ends {@code arrived} here (refused, filtered or held), or lets it through.
   *
   * @throws HttpError 503 when the journal cannot record it, 500 for a {@code @debounce} without
   *     one
   */
  Step before(Handler handler, NewDelivery arrived) throws HttpError {
    Directives.Declared declared = handlers.declared(handler.name()).orElse(null);
    if (declared == null) {
      return new Passed(Flow.NONE, null);
    }
    if (declared.blocking().isPresent()) {
      // Run as if it declared nothing, a handler would take what its author meant to refuse.
      String error = declared.blocking().get().message();
      endWithoutRunning(
          arrived, handler, new AttemptResult(Status.FAILED, null, 0, error, null, null));
      return new Ended(500, errorJson(error, arrived.id()), error);
    }
    Flow flow = declared.flow();
    if (!flow.readsPayload()) {
      return new Passed(flow, null); // no filter, debounce or concurrency: nothing to read
    }
    JsonNode json = readTree(arrived.body());
    Optional<Filter> failed = flow.failed(json);
    if (failed.isPresent()) {
      String line = "@filter " + failed.get().text();
      endWithoutRunning(
          arrived,
          handler,
          new AttemptResult(
              Status.FILTERED,
              null,
              0,
              "%s (line %d) does not hold".formatted(line, failed.get().line()),
              null,
              null));
      return new Ended(
          200,
          Json.write(
              Json.object()
                  .put("status", "filtered")
                  .put("delivery", arrived.id())
                  .put("filter", line)),
          "filtered: " + line);
    }
    if (flow.debounce() != null) {
      return hold(handler, arrived, flow.debounce(), json, declared);
    }
    return new Passed(flow, json);
  }

  /** Holds a delivery for {@code @debounce}: it runs when its window ends, unless replaced. */
  private Ended hold(
      Handler handler,
      NewDelivery arrived,
      Debounce debounce,
      JsonNode json,
      Directives.Declared declared)
      throws HttpError {
    if (held == null) {
      throw new HttpError(
          500,
          "%s line %d: @debounce needs the journal, which keeps held deliveries across restarts:"
                  .formatted(declared.file().path(), debounce.line())
              + " serve without --no-journal");
    }
    Journal.Held h;
    try {
      h = held.hold(arrived, debounce.keyOf(json), debounce.window(), debounce.maxOrUnbounded());
    } catch (JournalException e) {
      throw unrecorded(handler, e);
    }
    refusals.recorded();
    return new Ended(
        202,
        Json.write(
            Json.object()
                .put("status", "debounced")
                .put("delivery", arrived.id())
                .put("due", h.due().toString())),
        "debounced until %s%s"
            .formatted(h.due(), h.superseded() == null ? "" : "; supersedes " + h.superseded()));
  }

  /** The {@code @concurrency} lane of a delivery let through, or null when it has no limit. */
  Lanes.@Nullable Lane lane(Handler handler, Passed passed) {
    Concurrency concurrency = passed.flow().concurrency();
    if (concurrency == null) {
      return null;
    }
    // A flow with @concurrency reads the payload, so before() let it through with its JSON.
    JsonNode json = Objects.requireNonNull(passed.json());
    return concurrency.lane(handlers.lanes(), handler.name(), json);
  }

  /**
   * Waits up to {@code --timeout} for a turn in {@code lane}, as the caller waits for the answer
   * (the delivery is recorded as running already, so that a crash meanwhile does not lose it).
   *
   * <p>When none came, the attempt is recorded as failed with the reason.
   */
  Waited awaitTurn(Handler handler, String id, int attempt, Passed passed, Lanes.Lane lane) {
    long waitStart = System.nanoTime();
    Lanes.Turn turn;
    try {
      turn = lane.enter(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      turn = null;
    }
    if (turn != null) {
      return new Waited(turn, null);
    }
    String error =
        ("%s did not run: it waited %d s for its turn (%s: at most %d at once for %s);"
                + " send it again or replay it later")
            .formatted(
                handler.name(),
                timeout.toSeconds(),
                // A lane comes from @concurrency (lane() above).
                Objects.requireNonNull(passed.flow().concurrency()).describe(),
                lane.limit(),
                lane.describe());
    finishWithoutRunning(
        id,
        attempt,
        new AttemptResult(
            Status.FAILED, null, (System.nanoTime() - waitStart) / 1_000_000, error, null, null));
    return new Waited(null, new Ended(503, errorJson(error, id), error));
  }

  /**
   * Records a delivery that ends without its handler running as one attempt with that result, so
   * that {@code deliveries} shows why and {@code replay} can still run it.
   */
  private void endWithoutRunning(NewDelivery arrived, Handler handler, AttemptResult result)
      throws HttpError {
    int attempt;
    try {
      attempt = journal.acceptRunning(arrived);
    } catch (JournalException e) {
      throw unrecorded(handler, e);
    }
    refusals.recorded();
    finishWithoutRunning(arrived.id(), attempt, result);
  }

  private void finishWithoutRunning(String id, int attempt, AttemptResult result) {
    try {
      journal.finish(id, attempt, result, result.status());
    } catch (JournalException e) {
      log.info("warning: delivery=%s: its end was not recorded: %s".formatted(id, e.getMessage()));
    }
  }

  /** As the server answers a delivery it cannot record: nothing runs. */
  private HttpError unrecorded(Handler handler, JournalException e) {
    return refusals.refuse(handler, e);
  }

  private static String errorJson(String error, String id) {
    return Json.write(Json.object().put("error", error).put("delivery", id));
  }

  /** The body as a JSON tree; the payload parser accepted it already. */
  private static JsonNode readTree(byte[] body) {
    try {
      return Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException("a body the payload parser accepted is JSON", e);
    }
  }
}
