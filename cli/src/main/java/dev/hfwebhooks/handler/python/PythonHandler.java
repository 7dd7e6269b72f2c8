package dev.hfwebhooks.handler.python;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.handler.AnswerCap;
import dev.hfwebhooks.handler.Delivery;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.LogLines;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.handler.WebhookEnv;
import dev.hfwebhooks.handler.python.Frames.Frame;
import dev.hfwebhooks.handler.python.Worker.Died;
import dev.hfwebhooks.handler.python.Worker.Ready;
import dev.hfwebhooks.handler.python.Worker.Route;
import dev.hfwebhooks.handler.python.WorkerPool.Unavailable;
import dev.hfwebhooks.payload.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One route of a Python file: the file's {@code handle}, or one function it registered the way
 * huggingface_hub does. Runs each delivery on a warm worker of the file's pool; the routes of one
 * file share that pool.
 */
final class PythonHandler implements Handler {
  private final HandlerFile file;
  private final @Nullable WorkerPool pool;

  /** {@code pool} is null for a route whose file cannot run ({@link HandlerFile#problem()}). */
  PythonHandler(HandlerFile file, @Nullable WorkerPool pool) {
    this.file = file;
    this.pool = pool;
  }

  @Override
  public HandlerFile file() {
    return file;
  }

  /** The route's key among the worker's: null for the file's own handle. */
  private @Nullable String routeKey() {
    return file.function() == null ? null : file.name();
  }

  @Override
  public Optional<String> problem() {
    if (file.problem() != null) {
      return Optional.of(file.problem());
    }
    return pool == null ? Optional.empty() : pool.problem();
  }

  @Override
  public Optional<String> secret(Duration wait) throws SecretUnknown {
    if (pool == null || file.function() == null) {
      return Optional.empty(); // a file's own handle has no way to set a secret
    }
    Optional<Ready> ready;
    try {
      ready = pool.ready(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SecretUnknown("interrupted while " + file.path() + " loads");
    }
    if (ready.isEmpty()) {
      throw new SecretUnknown(
          pool.problem()
              .map(p -> file.path() + " could not be imported: " + p)
              .orElse(file.path() + " is still being imported"));
    }
    Route route = ready.get().routes().get(routeKey());
    return route == null ? Optional.empty() : Optional.ofNullable(route.secret());
  }

  @Override
  public Outcome handle(Delivery delivery) {
    LogLines log = new LogLines(delivery.log());
    WorkerPool pool = this.pool;
    if (file.problem() != null || pool == null) { // no pool: the file has a problem
      return Outcome.failed(file.name() + " cannot run: " + file.problem(), log.tail());
    }
    // Waiting for a worker (all busy, or the one a timeout replaced still importing) is not
    // running: it may take up to --timeout, then the handler gets its whole --timeout, as a turn
    // under @concurrency does. Counting the wait against the run spent retries on deliveries
    // whose handler never ran (the 30-minute soak: 19 of 1,400).
    Worker worker;
    try {
      worker = pool.acquire(System.nanoTime() + delivery.timeout().toNanos());
    } catch (Unavailable e) {
      e.traceback.lines().forEach(log::add);
      return Outcome.failed(file.name() + " cannot run: " + e.getMessage(), log.tail());
    } catch (TimeoutException e) {
      return noWorker(delivery, log);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.failed(file.name() + " was interrupted (server stopping)", log.tail());
    }
    Ready ready = worker.ready().join();
    Route route = ready.routes().get(routeKey());
    if (route == null || route.problem() != null) {
      pool.giveBack(worker);
      return Outcome.failed(
          route == null
              ? "%s did not register %s when imported".formatted(file.path(), file.route())
              : file.name() + " cannot run: " + route.problem(),
          log.tail());
    }
    Frame answer;
    try {
      answer = worker.deliver(meta(delivery, pool), delivery.body(), log, delivery.timeout());
    } catch (TimeoutException e) {
      pool.discard(worker);
      worker.kill(WorkerPool.STOP_GRACE);
      return Outcome.timedOut(file.name(), delivery.timeout(), log.tail());
    } catch (Died e) {
      pool.discard(worker);
      return Outcome.failed(
          "%s failed: %s during the delivery".formatted(file.name(), e.getMessage()), log.tail());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pool.discard(worker);
      worker.kill(Duration.ZERO);
      return Outcome.failed(file.name() + " was interrupted (server stopping)", log.tail());
    }
    pool.answered(worker, answer.meta().path("rss").asLong());
    if (answer.kind().equals("error")) {
      answer.meta().path("traceback").asText().lines().forEach(log::add);
      return Outcome.failed(
          file.name() + " failed: " + answer.meta().path("error").asText(), log.tail());
    }
    String text =
        answer.data().length == 0 ? null : new String(answer.data(), StandardCharsets.UTF_8);
    if (text != null && !AnswerCap.fits(text)) {
      // Cut JSON is JSON no more: it is read as a process's cut answer is (as text, mostly).
      String cut = AnswerCap.cut(text, log);
      return Outcome.succeeded(Outcome.Answer.of(cut, delivery.id()), log.tail()).withOutput(cut);
    }
    return Outcome.succeeded(Outcome.Answer.ofJson(text, delivery.id()), log.tail())
        .withOutput(text);
  }

  private Outcome noWorker(Delivery delivery, LogLines log) {
    return Outcome.timedOut(
        "%s did not run: no Python worker was free within %s (all busy, or still importing %s)"
            .formatted(file.name(), Outcome.seconds(delivery.timeout()), file.path().getFileName()),
        log.tail());
  }

  private ObjectNode meta(Delivery delivery, WorkerPool pool) {
    ObjectNode meta = Json.object().put("id", delivery.id()).put("rss", pool.tracksMemory());
    meta.put("route", routeKey());
    ObjectNode context = meta.putObject("context").put("handler", file.name());
    ObjectNode headers = context.putObject("headers");
    delivery.headers().forEach(headers::put);
    ObjectNode env = meta.putObject("env");
    WebhookEnv.of(delivery, file.name()).forEach(env::put);
    return meta;
  }
}
