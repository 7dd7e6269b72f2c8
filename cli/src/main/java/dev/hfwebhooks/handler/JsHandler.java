package dev.hfwebhooks.handler;

import dev.hfwebhooks.handler.JsRuntime.Stop;
import dev.hfwebhooks.payload.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.proxy.ProxyExecutable;
import org.jspecify.annotations.Nullable;

/**
 * Runs a {@code .js} script that defines {@code handle(payload, context)}, or an {@code .mjs}
 * module whose default (or {@code handle}) export is that function, in the shared GraalVM engine.
 *
 * <p>The payload reaches JavaScript as text and is turned into a plain object by {@code JSON.parse}
 * inside the context, so it behaves exactly as in Node (keys, spreading, stringify), unlike a proxy
 * of a Java object.
 *
 * <p>A context runs on one thread at a time, so each handler keeps a pool of warm contexts (the
 * file evaluated, {@code handle} found): the pool grows to the number of deliveries that ran at
 * once and stays there. A global a handler sets lives in one context of the pool: it may or may not
 * be seen by the next delivery.
 */
final class JsHandler implements Handler {
  /**
   * Calls the handler, waits for a returned Promise, and reports through {@code done(ok, text,
   * stack)}: on success the answer as JSON text (null for undefined), on failure the message. A
   * plain (not thenable) result is reported at once: going through Promise.resolve would cost every
   * synchronous handler a trip through the job queue for the same answer.
   */
  private static final String CALL =
      """
      (function (handle, payloadJson, contextJson, done) {
        function fail(e) {
          if (e instanceof Error) done(false, e.name + ': ' + e.message, String(e.stack || ''));
          else done(false, 'threw ' + String(e), '');
        }
        function succeed(value) {
          let text;
          try {
            text = value === undefined ? undefined : JSON.stringify(value);
          } catch (e) {
            fail(e);
            return;
          }
          done(true, text === undefined ? null : text, null);
        }
        let result;
        let thenable;
        try {
          result = handle(JSON.parse(payloadJson), JSON.parse(contextJson));
          thenable = result !== null && (typeof result === 'object' || typeof result === 'function')
              && typeof result.then === 'function';
        } catch (e) {
          fail(e);
          return;
        }
        if (thenable) Promise.resolve(result).then(succeed, fail);
        else succeed(result);
      })
      """;

  private final HandlerFile file;
  private final JsRuntime runtime;
  private final boolean module;
  private final Deque<Warm> idle = new ConcurrentLinkedDeque<>();
  private volatile @Nullable Code code;
  private volatile boolean closed;
  private volatile boolean watched;
  private volatile boolean stale = true;

  JsHandler(HandlerFile file, JsRuntime runtime) {
    this.file = file;
    this.runtime = runtime;
    this.module = file.path().getFileName().toString().endsWith(".mjs");
  }

  @Override
  public HandlerFile file() {
    return file;
  }

  /** The handler's text as last read, and its parsed source; contexts are made from one Code. */
  private record Code(String text, Source source) {}

  /** Whether {@code warm} was made from this very load of the file (not an equal later one). */
  @SuppressWarnings("ReferenceEquality") // each load is a new Code: identity tells loads apart
  private static boolean madeFrom(Warm warm, @Nullable Code code) {
    return warm.code() == code;
  }

  /** A context with the handler evaluated, ready to call; its console is redirected per call. */
  private record Warm(Code code, Context context, Value call, Value handle, Console console) {}

  /** What {@code done} reported. */
  private record Settled(boolean ok, @Nullable String text, @Nullable String stack) {}

  /** The console of a pooled context, pointed at the current delivery's log. */
  private static final class Console extends OutputStream {
    private volatile OutputStream target = OutputStream.nullOutputStream();

    @Override
    public void write(int b) throws IOException {
      target.write(b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      target.write(bytes, offset, length);
    }
  }

  @Override
  public Optional<String> problem() {
    try {
      return runtime.syntaxError(current().source(), module);
    } catch (IOException e) {
      return Optional.of("cannot read " + file.path() + ": " + e.getMessage());
    }
  }

  /**
   * Tells this handler whether someone watches its folder and calls {@link #fileMayHaveChanged}:
   * then the file is read again only after a change, not on every delivery.
   */
  void watched(boolean watched) {
    this.watched = watched;
  }

  /** The folder changed: read the file again before the next delivery. */
  void fileMayHaveChanged() {
    stale = true;
  }

  /**
   * The handler's code as the file holds it now, so an edit takes effect on the next delivery;
   * contexts made from older code are dropped as they come back. Unwatched (as in {@code test}),
   * the file is read on every delivery.
   */
  private Code current() throws IOException {
    Code known = code;
    if (watched && !stale && known != null) {
      return known;
    }
    stale = false; // before reading: a change seen after this point triggers another read
    String text = Files.readString(file.path());
    if (known != null && known.text().equals(text)) {
      return known;
    }
    synchronized (this) {
      if (code == null || !code.text().equals(text)) {
        code =
            new Code(
                text,
                Source.newBuilder("js", text, file.path().getFileName().toString())
                    .mimeType(module ? "application/javascript+module" : "application/javascript")
                    .buildLiteral());
        for (Warm stale; (stale = idle.poll()) != null; ) {
          stale.context().close();
        }
      }
      return code;
    }
  }

  /**
   * Loads the file into a context now and keeps it for the first delivery, which then does not wait
   * for the engine, a context and the file's evaluation (about half a second on a new server). The
   * call wrapper runs once on a sample payload with a function that does nothing, so JSON.parse and
   * the wrapper are past their first run too; the handler itself is not called. What the file
   * prints as it loads goes to {@code log}; a file that does not load is left for the first
   * delivery to report, as without warming.
   */
  void prewarm(Consumer<String> log) {
    LogLines lines = new LogLines(log);
    try (OutputStream console = lines.asOutputStream()) {
      Warm warm = take(current(), console);
      warm.console().target = OutputStream.nullOutputStream();
      warm.call()
          .execute(
              warm.context().eval("js", "(function () {})"),
              WARM_UP_PAYLOAD,
              "{}",
              (ProxyExecutable) args -> null);
      giveBack(warm);
    } catch (IOException | MissingHandle | PolyglotException e) {
      // The first delivery reads the file again and says what is wrong.
    }
  }

  /** A payload of the usual shape for {@link #prewarm}. */
  private static final String WARM_UP_PAYLOAD =
      """
      {"event":{"action":"update","scope":"repo.content"},"repo":{"type":"model","name":"acme/warm-up",\
      "id":"1","private":false,"url":{"web":"https://huggingface.co/acme/warm-up"},\
      "owner":{"id":"2"},"headSha":"0"},"webhook":{"id":"3","version":3}}""";

  @Override
  public Outcome handle(Delivery delivery) {
    LogLines log = new LogLines(delivery.log());
    Code now;
    try {
      now = current();
    } catch (IOException e) {
      return Outcome.failed("cannot read " + file.path() + ": " + e.getMessage(), log.tail());
    }
    OutputStream console = log.asOutputStream();
    Warm warm;
    try {
      warm = take(now, console);
    } catch (PolyglotException e) {
      return e.isSyntaxError()
          ? Outcome.failed(
              JsRuntime.describeSyntaxError(file.path().getFileName().toString(), e), log.tail())
          : failure(e, log);
    } catch (MissingHandle e) {
      return Outcome.failed(e.what, log.tail());
    }

    AtomicReference<Settled> settled = new AtomicReference<>();
    ProxyExecutable done =
        args -> {
          settled.set(
              new Settled(
                  args[0].asBoolean(),
                  args[1].isNull() ? null : args[1].asString(),
                  args[2].isNull() ? null : args[2].asString()));
          return null;
        };
    Stop stopped;
    warm.console().target = console;
    try {
      stopped =
          runtime.run(
              warm.context(),
              delivery.timeout().toMillis(),
              () ->
                  warm.call()
                      .execute(
                          warm.handle(),
                          new String(delivery.body(), StandardCharsets.UTF_8),
                          contextJson(delivery),
                          done));
    } catch (PolyglotException e) {
      // Not a cancellation: an engine error. The context may be damaged, so it is not reused.
      warm.context().close(true);
      return failure(e, log);
    } finally {
      warm.console().target = OutputStream.nullOutputStream();
      try {
        console.close(); // passes on a last line printed without a newline
      } catch (IOException e) {
        // In-memory stream: cannot fail.
      }
    }
    if (stopped != null) {
      return stopped == Stop.TIMEOUT
          ? Outcome.timedOut(file.name(), delivery.timeout(), log.tail())
          : Outcome.failed(
              file.name() + " was stopped: the server was running out of memory", log.tail());
    }
    giveBack(warm);
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
    String text = result.text(); // null: handle returned undefined
    if (text != null && !AnswerCap.fits(text)) {
      // Cut JSON is JSON no more: it is read as a process's cut answer is (as text, mostly).
      String cut = AnswerCap.cut(text, log);
      return Outcome.succeeded(Outcome.Answer.of(cut, delivery.id()), log.tail()).withOutput(cut);
    }
    return Outcome.succeeded(Outcome.Answer.ofJson(text, delivery.id()), log.tail())
        .withOutput(text);
  }

  /** A file that evaluates but does not provide the function. */
  private static final class MissingHandle extends Exception {
    /** The message, which {@link #getMessage()} cannot promise is not null. */
    final String what;

    MissingHandle(String message) {
      super(message, null, false, false);
      this.what = message;
    }
  }

  private Warm take(Code now, OutputStream out) throws MissingHandle {
    for (Warm warm; (warm = idle.poll()) != null; ) {
      if (madeFrom(warm, now)) {
        return warm;
      }
      warm.context().close();
    }
    Console console = new Console();
    console.target = out; // what the file prints as it loads belongs to this delivery's log
    Context context = runtime.newContext(module, console);
    try {
      Value exported = context.eval(now.source());
      Value handle = handleFunction(context, exported);
      if (handle == null) {
        throw new MissingHandle(
            module
                ? file.path().getFileName()
                    + " must export default function handle(payload, context)"
                : file.path().getFileName() + " must define function handle(payload, context)");
      }
      return new Warm(now, context, context.eval("js", CALL), handle, console);
    } catch (MissingHandle | RuntimeException e) {
      context.close();
      throw e;
    }
  }

  private void giveBack(Warm warm) {
    if (madeFrom(warm, code) && !closed) {
      idle.push(warm);
    } else {
      warm.context().close();
    }
  }

  private @Nullable Value handleFunction(Context context, Value exported) {
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

  private Outcome failure(PolyglotException e, LogLines log) {
    if (e.isGuestException()) {
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

  @Override
  public void close() {
    closed = true;
    for (Warm warm; (warm = idle.poll()) != null; ) {
      warm.context().close();
    }
  }
}
