package dev.hfwebhooks.handler;

import java.io.OutputStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;

/**
 * The GraalVM JavaScript engine shared by every JS handler, started on first use so that commands
 * and servers without JS handlers never pay for it.
 *
 * <p>Contexts made here are sandboxed: no host classes, files, processes, threads, environment or
 * native code, and no other language (the {@link Context.Builder} defaults, kept on purpose).
 */
public final class JsRuntime implements AutoCloseable {
  private Engine engine;
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("hf-webhooks-js-watchdog").unstarted(r));

  private synchronized Engine engine() {
    if (engine == null) {
      engine =
          Engine.newBuilder("js")
              // On a stock JDK GraalVM runs JS in its interpreter and says so on every start;
              // that is expected here, not something a user can act on.
              .option("engine.WarnInterpreterOnly", "false")
              .logHandler(OutputStream.nullOutputStream())
              .build();
    }
    return engine;
  }

  /** A fresh sandboxed context on the shared engine, its console going to {@code console}. */
  Context newContext(boolean module, OutputStream console) {
    Context.Builder builder = Context.newBuilder("js").engine(engine()).out(console).err(console);
    if (module) {
      // Makes eval of a module return its namespace, so the default export can be called.
      builder.option("js.esm-eval-returns-exports", "true");
    }
    return builder.build();
  }

  /** Cancels {@code context} (from another thread) if it is still running after {@code millis}. */
  ScheduledFuture<?> cancelAfter(Context context, long millis) {
    return watchdog.schedule(
        () -> {
          try {
            context.close(true);
          } catch (RuntimeException e) {
            // Already closed: the run ended just in time.
          }
        },
        millis,
        TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    watchdog.shutdownNow();
    if (engine != null) {
      engine.close(true);
      engine = null;
    }
  }
}
