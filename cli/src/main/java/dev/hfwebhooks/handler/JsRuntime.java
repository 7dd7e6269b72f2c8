package dev.hfwebhooks.handler;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.io.IOAccess;
import org.jspecify.annotations.Nullable;

/**
 * The GraalVM JavaScript engine shared by every JS handler, started on first use so that commands
 * and servers without JS handlers never pay for it.
 *
 * <p>It also guards what GraalVM's community edition cannot bound by itself: a run past its timeout
 * is cancelled, and when the heap runs low the run that has allocated the most is cancelled before
 * it takes the whole server down.
 */
public final class JsRuntime implements AutoCloseable {
  /** Past this share of the maximum heap, the largest running allocator is stopped. */
  static final double HEAP_LIMIT = 0.85;

  /**
   * Checks come often enough that a run filling the heap fast is stopped before the JVM's own
   * OutOfMemoryError (every 50 ms lost that race on a quiet machine), and must agree three times so
   * that a heap full of garbage just before a collection is not taken for a leak.
   */
  private static final long GUARD_PERIOD_MS = 10;

  private static final int LOW_HEAP_CHECKS = 3;

  /**
   * A run is blamed only if it allocated at least this share of the heap since it started: after
   * one run is stopped, its garbage fills the heap until the next collection, and the small run
   * that comes next is not the culprit.
   */
  static final double BLAME_SHARE = 0.25;

  private @Nullable Engine engine;
  private volatile @Nullable ScheduledExecutorService watchdog;
  private final Map<Context, Run> running = new ConcurrentHashMap<>();

  /**
   * The JVM's memory and thread counters, loaded with the engine only: the management classes cost
   * start-up time that commands without JavaScript should not pay.
   */
  private static final class Jvm {
    static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  }

  private @Nullable ScheduledFuture<?> guard;
  private int lowHeapChecks;

  /** Why a run was cancelled from outside, for its outcome. */
  enum Stop {
    TIMEOUT,
    MEMORY
  }

  /** One execution in progress: its thread's allocation counter at start, and any stop. */
  private static final class Run {
    final long thread;
    final long allocatedAtStart;
    volatile @Nullable Stop stop;

    Run(long thread, long allocatedAtStart) {
      this.thread = thread;
      this.allocatedAtStart = allocatedAtStart;
    }
  }

  private synchronized Engine engine() {
    if (engine == null) {
      engine =
          Engine.newBuilder("js")
              // On a stock JDK GraalVM runs JS in its interpreter and says so on every start;
              // that is expected here, not something a user can act on.
              .option("engine.WarnInterpreterOnly", "false")
              .logHandler(OutputStream.nullOutputStream())
              .build();
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              1, r -> Thread.ofPlatform().daemon().name("hf-webhooks-js-watchdog").unstarted(r));
      // Nearly every timeout is cancelled when its run ends; left in the queue until they would
      // have fired, thousands of them per second would pile up for a whole --timeout.
      executor.setRemoveOnCancelPolicy(true);
      watchdog = executor;
      guard =
          watchdog.scheduleWithFixedDelay(
              this::stopLargestAllocatorIfHeapIsLow,
              GUARD_PERIOD_MS,
              GUARD_PERIOD_MS,
              TimeUnit.MILLISECONDS);
    }
    return engine;
  }

  /**
   * A sandboxed context on the shared engine, its console going to {@code console}. Every access is
   * spelled out rather than left to the builder's defaults, so the sandbox is visible here: no host
   * classes or objects, files, processes, threads, environment, native code or other languages.
   */
  Context newContext(boolean module, OutputStream console) {
    Context.Builder builder =
        Context.newBuilder("js")
            .engine(engine())
            .out(console)
            .err(console)
            .allowHostAccess(HostAccess.NONE)
            .allowHostClassLookup(className -> false)
            .allowIO(IOAccess.NONE)
            .allowCreateProcess(false)
            .allowCreateThread(false)
            .allowNativeAccess(false)
            .allowEnvironmentAccess(EnvironmentAccess.NONE)
            .allowPolyglotAccess(PolyglotAccess.NONE)
            // Globals that could only fail under this sandbox: better absent than a trap.
            // (Java and Packages stay: removing them takes an experimental option, and without
            // class lookup they reach nothing.)
            .option("js.load", "false")
            .option("js.graal-builtin", "false");
    if (module) {
      // Makes eval of a module return its namespace, so the default export can be called.
      builder.option("js.esm-eval-returns-exports", "true");
    }
    return builder.build();
  }

  /**
   * Parses {@code source} without running it: empty when it is valid, else the syntax error with
   * its line and column (what {@code list} and the landing page show).
   */
  Optional<String> syntaxError(Source source, boolean module) {
    try (Context context = newContext(module, OutputStream.nullOutputStream())) {
      context.parse(source);
      return Optional.empty();
    } catch (PolyglotException e) {
      if (!e.isSyntaxError()) {
        throw e;
      }
      return Optional.of(describeSyntaxError(source.getName(), e));
    }
  }

  static String describeSyntaxError(String fileName, PolyglotException e) {
    SourceSection at = e.getSourceLocation();
    String where =
        at == null
            ? ""
            : " at line %d, column %d".formatted(at.getStartLine(), at.getStartColumn());
    // GraalJS writes "SyntaxError: file:line:column explanation", then the line and a caret;
    // the location is said above, so keep only the explanation.
    String message =
        String.valueOf(e.getMessage())
            .lines()
            .findFirst()
            .orElse("")
            .replaceFirst("^SyntaxError: ", "")
            .replaceFirst("^\\S+:\\d+:\\d+ ", "");
    return "%s has a syntax error%s: %s".formatted(fileName, where, message);
  }

  /**
   * Runs {@code body} in {@code context} (on the calling thread), cancelling it if it runs past
   * {@code timeoutMillis} or when memory runs low. Returns null when it finished by itself, else
   * why it was stopped; a stopped context is closed and must not be used again.
   */
  @Nullable Stop run(Context context, long timeoutMillis, Runnable body) {
    long thread = Thread.currentThread().threadId();
    Run run = new Run(thread, Jvm.THREADS.getThreadAllocatedBytes(thread));
    running.put(context, run);
    // The context came from newContext, whose engine() started the watchdog.
    ScheduledExecutorService watchdog =
        Objects.requireNonNull(this.watchdog, "run() needs a context from newContext()");
    ScheduledFuture<?> timeout =
        watchdog.schedule(
            () -> cancel(context, run, Stop.TIMEOUT), timeoutMillis, TimeUnit.MILLISECONDS);
    try {
      body.run();
    } catch (PolyglotException e) {
      if (!(e.isCancelled() && run.stop != null)) {
        throw e;
      }
    } finally {
      running.remove(context);
      // If the watchdog has already started to cancel, the context is (being) closed: report it.
      if (!timeout.cancel(false) && run.stop == null) {
        run.stop = Stop.TIMEOUT;
      }
    }
    return run.stop;
  }

  private static void cancel(Context context, Run run, Stop why) {
    if (run.stop != null) {
      return;
    }
    run.stop = why;
    try {
      context.close(true);
    } catch (RuntimeException e) {
      // Already closed: the run ended just in time.
    }
  }

  /**
   * GraalVM community has no per-context heap limit, so this approximates one: when the heap is
   * nearly full even after the JVM's own collections, the run whose thread allocated the most since
   * it started is the likely culprit, and stopping it saves the other deliveries.
   */
  private void stopLargestAllocatorIfHeapIsLow() {
    if (running.isEmpty()) {
      return;
    }
    long max = Jvm.MEMORY.getHeapMemoryUsage().getMax();
    if (max <= 0 || Jvm.MEMORY.getHeapMemoryUsage().getUsed() < HEAP_LIMIT * max) {
      lowHeapChecks = 0;
      return;
    }
    // A heap full of garbage is normal just before a collection; only a heap that stays full
    // across several checks (and so across collections) means live data is piling up.
    if (++lowHeapChecks < LOW_HEAP_CHECKS) {
      return;
    }
    lowHeapChecks = 0;
    running.entrySet().stream()
        .max((a, b) -> Long.compare(allocated(a.getValue()), allocated(b.getValue())))
        .filter(e -> allocated(e.getValue()) >= BLAME_SHARE * max)
        .ifPresent(e -> cancel(e.getKey(), e.getValue(), Stop.MEMORY));
  }

  /** Bytes the run's thread allocated since the run started. */
  private long allocated(Run run) {
    return Jvm.THREADS.getThreadAllocatedBytes(run.thread) - run.allocatedAtStart;
  }

  @Override
  public synchronized void close() {
    if (watchdog != null) {
      watchdog.shutdownNow();
    }
    if (guard != null) {
      guard.cancel(false);
    }
    if (engine != null) {
      engine.close(true);
      engine = null;
    }
  }
}
