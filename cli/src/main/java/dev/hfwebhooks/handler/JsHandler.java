package dev.hfwebhooks.handler;

import dev.hfwebhooks.payload.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.proxy.ProxyExecutable;

/**
 * Runs a {@code .js} script that defines {@code handle(payload, context)}, or an {@code .mjs}
 * module whose default (or {@code handle}) export is that function, in the shared GraalVM engine.
 *
 * <p>The payload reaches JavaScript as text and is turned into a plain object by {@code JSON.parse}
 * inside the context, so it behaves exactly as in Node (keys, spreading, stringify), unlike a proxy
 * of a Java object.
 */
final class JsHandler implements Handler {
  /**
   * Calls the handler, waits for a returned Promise, and reports through {@code done(ok, text,
   * stack)}: on success the answer as JSON text (null for undefined), on failure the message.
   */
  private static final String CALL =
      """
      (function (handle, payloadJson, contextJson, done) {
        function fail(e) {
          if (e instanceof Error) done(false, e.name + ': ' + e.message, String(e.stack || ''));
          else done(false, 'threw ' + String(e), '');
        }
        let result;
        try {
          result = handle(JSON.parse(payloadJson), JSON.parse(contextJson));
        } catch (e) {
          fail(e);
          return;
        }
        Promise.resolve(result).then(function (value) {
          let text;
          try {
            text = value === undefined ? undefined : JSON.stringify(value);
          } catch (e) {
            fail(e);
            return;
          }
          done(true, text === undefined ? null : text, null);
        }, fail);
      })
      """;

  private final HandlerFile file;
  private final JsRuntime runtime;
  private final boolean module;

  JsHandler(HandlerFile file, JsRuntime runtime) {
    this.file = file;
    this.runtime = runtime;
    this.module = file.path().getFileName().toString().endsWith(".mjs");
  }

  @Override
  public HandlerFile file() {
    return file;
  }

  /** What {@code done} reported. */
  private record Settled(boolean ok, String text, String stack) {}

  @Override
  public Outcome handle(Delivery delivery) {
    LogLines log = new LogLines(delivery.log());
    Source source;
    try {
      // Read on every delivery so an edit takes effect at once; the engine caches the parse of
      // unchanged text, so this costs a file read, not a compile.
      source =
          Source.newBuilder(
                  "js", Files.readString(file.path()), file.path().getFileName().toString())
              .mimeType(module ? "application/javascript+module" : "application/javascript")
              .build();
    } catch (IOException e) {
      return Outcome.failed("cannot read " + file.path() + ": " + e.getMessage(), log.tail());
    }
    AtomicReference<Settled> settled = new AtomicReference<>();
    try (var console = log.asOutputStream();
        Context context = runtime.newContext(module, console)) {
      ScheduledFuture<?> cancel = runtime.cancelAfter(context, delivery.timeout().toMillis());
      try {
        Value exported = context.eval(source);
        Value handle = handleFunction(context, exported);
        if (handle == null) {
          return Outcome.failed(
              module
                  ? file.path().getFileName()
                      + " must export default function handle(payload, context)"
                  : file.path().getFileName() + " must define function handle(payload, context)",
              log.tail());
        }
        ProxyExecutable done =
            args -> {
              settled.set(
                  new Settled(
                      args[0].asBoolean(),
                      args[1].isNull() ? null : args[1].asString(),
                      args[2].isNull() ? null : args[2].asString()));
              return null;
            };
        context
            .eval("js", CALL)
            .execute(
                handle,
                new String(delivery.body(), StandardCharsets.UTF_8),
                contextJson(delivery),
                done);
      } finally {
        cancel.cancel(false);
      }
    } catch (PolyglotException e) {
      return failure(e, delivery, log);
    } catch (IOException e) {
      // Closing the console stream: nothing of value lost.
    }
    Settled result = settled.get();
    if (result == null) {
      // No event loop runs after handle returns, so a Promise still pending now never settles.
      return Outcome.timedOut(file.name() + " returned a Promise that never settled", log.tail());
    }
    if (!result.ok()) {
      if (result.stack() != null && !result.stack().isBlank()) {
        log.add(result.stack());
      }
      return Outcome.failed(file.name() + " failed: " + result.text(), log.tail());
    }
    return Outcome.succeeded(Outcome.Answer.of(result.text(), delivery.id()), log.tail());
  }

  private Value handleFunction(Context context, Value exported) {
    Value handle;
    if (module) {
      Value fallback = exported.getMember("default");
      handle = fallback != null && fallback.canExecute() ? fallback : exported.getMember("handle");
    } else {
      handle = context.getBindings("js").getMember("handle");
    }
    return handle != null && handle.canExecute() ? handle : null;
  }

  private String contextJson(Delivery delivery) {
    var context = Json.object().put("handler", file.name()).put("deliveryId", delivery.id());
    var headers = context.putObject("headers");
    delivery.headers().forEach(headers::put);
    return Json.write(context);
  }

  private Outcome failure(PolyglotException e, Delivery delivery, LogLines log) {
    if (e.isCancelled()) {
      return Outcome.timedOut(
          "%s timed out after %s and was stopped"
              .formatted(file.name(), ProcessHandler.seconds(delivery.timeout())),
          log.tail());
    }
    if (e.isSyntaxError()) {
      SourceSection at = e.getSourceLocation();
      String where =
          at == null
              ? ""
              : " at line %d, column %d".formatted(at.getStartLine(), at.getStartColumn());
      return Outcome.failed(
          "%s has a syntax error%s: %s".formatted(file.path().getFileName(), where, e.getMessage()),
          log.tail());
    }
    if (e.isGuestException() && e.getGuestObject() != null) {
      log.add(String.valueOf(e.getMessage()));
      e.getPolyglotStackTrace()
          .forEach(
              frame -> {
                if (frame.isGuestFrame()) {
                  log.add("    at " + frame);
                }
              });
    }
    return Outcome.failed(file.name() + " failed: " + e.getMessage(), log.tail());
  }
}
