package dev.hfwebhooks.handler.python;

import dev.hfwebhooks.handler.LogLines;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.handler.python.Worker.ImportFailed;
import dev.hfwebhooks.handler.python.Worker.Ready;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The warm workers of one Python handler file. The pool grows, one import at a time, while
 * deliveries wait and it is below its cap; shrinks back to one when idle; replaces a worker that
 * timed out, died, or reached its recycling limits (the replacement imported before the old one
 * leaves); and starts a new generation when the file changes, letting deliveries running on the old
 * one finish. An import that fails is retried after a back-off (1 s, doubling, at most a minute),
 * or at once when the file changes; meanwhile deliveries fail at once with its error.
 */
final class WorkerPool implements Worker.Events {
  static final Duration STOP_GRACE = Duration.ofSeconds(2);
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

  private final Path file;
  private final Path python;
  private final PythonSettings settings;
  private final Map<String, String> environment;
  private final Consumer<String> log;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // Under lock:
  private final Deque<Worker> idle = new ArrayDeque<>();
  private final Set<Worker> live = new HashSet<>();

  /** Workers of the current generation still importing; {@code starting} counts their spawns. */
  private final Set<Worker> importing = new HashSet<>();

  private int starting;
  private int waiting;
  private long generation;
  private String mode;
  private byte[] content;
  private @Nullable Ready lastReady;
  private @Nullable Failure failure;
  private boolean warm;
  private boolean closed;

  /** The last import failed: why, where, and when to try again. */
  record Failure(String error, String traceback, long retryAt, Duration backoff) {}

  /** No worker can take the delivery: the file does not import, or the server stops. */
  static final class Unavailable extends Exception {
    final String traceback;

    Unavailable(String message, String traceback) {
      super(message, null, false, false);
      this.traceback = traceback;
    }
  }

  WorkerPool(
      Path file,
      Path python,
      String mode,
      PythonSettings settings,
      Map<String, String> environment,
      Consumer<String> log) {
    this.file = file;
    this.python = python;
    this.mode = mode;
    this.settings = settings;
    this.environment = environment;
    this.log = log;
    this.content = read(file);
  }

  Path file() {
    return file;
  }

  /** Keeps one worker imported and ready from now on (serve), instead of on first delivery. */
  void warm() {
    lock.lock();
    try {
      warm = true;
      topUp();
    } finally {
      lock.unlock();
    }
  }

  /** A worker ready for one delivery, waiting until {@code deadline} (System.nanoTime). */
  Worker acquire(long deadline) throws Unavailable, TimeoutException, InterruptedException {
    lock.lock();
    waiting++;
    try {
      while (true) {
        if (closed) {
          throw new Unavailable("the server is stopping", "");
        }
        Worker worker = takeIdle();
        if (worker != null) {
          return worker;
        }
        boolean backingOff = failure != null && System.nanoTime() - failure.retryAt() < 0;
        if (failure != null && live.isEmpty() && starting == 0) {
          if (backingOff) {
            throw new Unavailable(failure.error(), failure.traceback());
          }
          spawn();
        } else if (!backingOff
            && live.size() + starting < settings.maxWorkers()
            && starting < waiting) {
          spawn();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException();
        }
        changed.awaitNanos(left);
      }
    } finally {
      waiting--;
      lock.unlock();
    }
  }

  /** A worker, preferably one not waiting for its replacement. */
  private @Nullable Worker takeIdle() {
    Worker fallback = null;
    for (Worker worker : idle) {
      if (!worker.retiring) {
        idle.remove(worker);
        return worker;
      }
      fallback = fallback == null ? worker : fallback;
    }
    if (fallback != null) {
      idle.remove(fallback);
    }
    return fallback;
  }

  /** Gives back a worker that was acquired but sent nothing. */
  void giveBack(Worker worker) {
    idle(worker);
  }

  /** Whether workers report their memory with each answer (reading it costs them a file read). */
  boolean tracksMemory() {
    return settings.maxMemoryBytes() > 0;
  }

  /** A worker answered: counts it toward its recycling limits. */
  void answered(Worker worker, long rss) {
    lock.lock();
    try {
      worker.deliveries++;
      worker.rss = rss;
      boolean spent =
          (settings.maxDeliveries() > 0 && worker.deliveries >= settings.maxDeliveries())
              || (settings.maxMemoryBytes() > 0 && rss > settings.maxMemoryBytes());
      if (spent && !worker.retiring && !closed) {
        worker.retiring = true;
        log.accept(
            "[hf-webhooks] recycling Python worker %d after %d deliveries%s"
                .formatted(
                    worker.pid(),
                    worker.deliveries,
                    tracksMemory() ? " (%d MiB resident)".formatted(rss >> 20) : ""));
        spawn();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void idle(Worker worker) {
    Worker leaving = null;
    lock.lock();
    try {
      if (!live.contains(worker)) {
        return;
      }
      worker.idleSince = System.nanoTime();
      boolean replaced = worker.retiring && live.stream().anyMatch(w -> !w.retiring && w != worker);
      if (closed || worker.generation != generation || replaced) {
        live.remove(worker);
        leaving = worker;
      } else if (worker.retiring) {
        idle.addLast(worker);
      } else {
        idle.addFirst(worker); // the most recently used first: the others may go idle and leave
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (leaving != null) {
      leaving.stop(STOP_GRACE);
    }
  }

  @Override
  public void exited(Worker worker) {
    lock.lock();
    try {
      if (live.remove(worker)) {
        idle.remove(worker);
        log.accept("[hf-webhooks] Python worker %d exited".formatted(worker.pid()));
        topUp();
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Takes a worker out for good (it timed out or died); a warm pool starts another. */
  void discard(Worker worker) {
    lock.lock();
    try {
      live.remove(worker);
      idle.remove(worker);
      topUp();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Closes idle workers past the idle time, keeping one in a warm pool; and retries an import that
   * failed once its back-off has passed.
   */
  void reap() {
    List<Worker> leaving = new ArrayList<>();
    lock.lock();
    try {
      topUp();
      long now = System.nanoTime();
      for (Worker worker : List.copyOf(idle)) {
        boolean keep = warm && live.size() - leaving.size() <= 1;
        if (!keep && now - worker.idleSince > settings.idleAfter().toNanos()) {
          idle.remove(worker);
          live.remove(worker);
          leaving.add(worker);
        }
      }
    } finally {
      lock.unlock();
    }
    leaving.forEach(w -> w.stop(STOP_GRACE));
  }

  /**
   * Starts a new generation when the file's content changed (or it now runs in another mode): idle
   * workers leave now, busy ones once they answer.
   */
  void refresh(String newMode) {
    byte[] now = read(file);
    List<Worker> leaving = new ArrayList<>();
    lock.lock();
    try {
      if (closed || (Arrays.equals(now, content) && newMode.equals(mode))) {
        return;
      }
      content = now;
      mode = newMode;
      generation++;
      failure = null;
      lastReady = null;
      leaving.addAll(idle);
      live.removeAll(idle);
      idle.clear();
      // An import of the old code may hang: it must not hold the new code back.
      leaving.addAll(importing);
      importing.clear();
      starting = 0;
      topUp();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    leaving.forEach(w -> w.stop(STOP_GRACE));
  }

  /** What the current code's import said, waiting up to {@code timeout} for a worker to start. */
  Optional<Ready> ready(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (lastReady == null && failure == null && !closed) {
        if (live.isEmpty() && starting == 0) {
          spawn();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        changed.awaitNanos(left);
      }
      return Optional.ofNullable(lastReady);
    } finally {
      lock.unlock();
    }
  }

  /** The last import's error, if the current code failed to import. */
  Optional<String> problem() {
    lock.lock();
    try {
      return Optional.ofNullable(failure).map(Failure::error);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Retires the pool (its file is gone or broken): idle and importing workers leave now, busy ones
   * once their delivery is answered.
   */
  void retire() {
    List<Worker> leaving = new ArrayList<>();
    lock.lock();
    try {
      closed = true;
      leaving.addAll(idle);
      leaving.addAll(importing);
      live.removeAll(idle);
      idle.clear();
      importing.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    leaving.forEach(w -> w.stop(STOP_GRACE));
  }

  /** Ends the workers running a delivery now, with all they started (a stop ran out of time). */
  void terminateBusy() {
    List<Worker> busy;
    lock.lock();
    try {
      busy = live.stream().filter(w -> !idle.contains(w)).toList();
    } finally {
      lock.unlock();
    }
    busy.parallelStream().forEach(w -> w.kill(Duration.ZERO));
  }

  /** Stops every worker: each finishes (its stdin ends), or is ended after a grace. */
  void close() {
    List<Worker> all = new ArrayList<>();
    lock.lock();
    try {
      closed = true;
      all.addAll(live);
      all.addAll(importing);
      live.clear();
      idle.clear();
      importing.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    all.forEach(w -> w.stop(STOP_GRACE));
    long deadline = System.nanoTime() + STOP_GRACE.toNanos() + STOP_GRACE.toNanos();
    for (Worker worker : all) {
      while (worker.alive() && System.nanoTime() - deadline < 0) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** In a warm pool, starts a worker when none is running or starting. Under lock. */
  private void topUp() {
    if (warm && !closed && live.isEmpty() && starting == 0) {
      if (failure == null || System.nanoTime() - failure.retryAt() >= 0) {
        spawn();
      }
    }
  }

  /** Starts one worker on a thread of its own. Under lock. */
  private void spawn() {
    starting++;
    long gen = generation;
    String currentMode = mode;
    Thread.ofVirtual().name("hf-webhooks-python-start").start(() -> start(gen, currentMode));
  }

  private void start(long gen, String currentMode) {
    // Passes what the import prints on, keeping its last lines for a worker that dies importing.
    LogLines importLog = new LogLines(log);
    Worker worker = null;
    Ready ready = null;
    String error = null;
    String traceback = "";
    try {
      worker = Worker.start(python, file, currentMode, gen, environment, importLog::add, this);
      if (!register(worker, gen)) {
        worker.stop(STOP_GRACE); // the file changed, or the pool closed, as it started
        return;
      }
      ready = worker.ready().get(settings.importTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      error =
          "importing %s took longer than %s"
              .formatted(file.getFileName(), Outcome.seconds(settings.importTimeout()));
      worker.kill(Duration.ZERO);
    } catch (IOException e) {
      error = "cannot start " + python + ": " + e.getMessage();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ImportFailed failed) {
        error = failed.getMessage();
        traceback = failed.traceback;
      } else {
        List<String> tail = importLog.tail();
        // get() always says why: an ExecutionException of a future has the future's error.
        Throwable cause = Objects.requireNonNullElse(e.getCause(), e);
        error = cause.getMessage() + " while importing " + file.getFileName();
        traceback = String.join("\n", tail.subList(Math.max(0, tail.size() - 5), tail.size()));
      }
    } catch (InterruptedException e) {
      error = "interrupted while importing " + file.getFileName();
    }
    Worker leaving = null;
    lock.lock();
    try {
      importing.remove(worker);
      if (gen == generation) {
        starting--;
      }
      // worker is never null once ready is set: it is checked for NullAway, which cannot tell.
      if (ready != null && worker != null && !closed && gen == generation) {
        live.add(worker);
        idle.addFirst(worker);
        lastReady = ready;
        failure = null;
        // A worker waiting for its replacement can leave now.
        leaving = idle.stream().filter(w -> w.retiring).findFirst().orElse(null);
        if (leaving != null) {
          idle.remove(leaving);
          live.remove(leaving);
        }
      } else if (ready != null) {
        leaving = worker; // the file changed, or the server stops, while it imported
      } else if (gen == generation && !closed) {
        Duration backoff =
            failure == null
                ? FIRST_BACKOFF
                : failure.backoff().multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                    ? MAX_BACKOFF
                    : failure.backoff().multipliedBy(2);
        // Not ready: each way here (the catches above) said why.
        String why = Objects.requireNonNull(error);
        failure = new Failure(why, traceback, System.nanoTime() + backoff.toNanos(), backoff);
        log.accept(
            "error: %s: %s (trying again in %d s, or when the file changes)"
                .formatted(file.getFileName(), error, backoff.toSeconds()));
        if (!traceback.isBlank()) {
          traceback.lines().forEach(log);
        }
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (leaving != null) {
      leaving.stop(STOP_GRACE);
    }
  }

  /** Counts a started process as importing, unless its generation has passed. */
  private boolean register(Worker worker, long gen) {
    lock.lock();
    try {
      if (closed || gen != generation) {
        return false;
      }
      importing.add(worker);
      return true;
    } finally {
      lock.unlock();
    }
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      return new byte[0];
    }
  }
}
