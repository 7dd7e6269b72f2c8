package dev.hfwebhooks.handler.python;

import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The Python handlers of one server: a pool of warm workers per {@code .py} file, shared by the
 * routes that file serves, kept across rescans of the folder while the file stays.
 */
public final class PythonRuntime implements AutoCloseable {
  private static final long REAP_SECONDS = 5;

  private final PythonSettings settings;
  private final Map<Path, WorkerPool> pools = new ConcurrentHashMap<>();
  private volatile BiConsumer<String, String> log = (name, line) -> {};
  private volatile boolean warm;
  private @Nullable ScheduledExecutorService reaper;

  public PythonRuntime(PythonSettings settings) {
    this.settings = settings;
  }

  /** Where worker lines outside any delivery go (what a file prints while it imports). */
  public void logTo(BiConsumer<String, String> log) {
    this.log = log;
  }

  /**
   * The handler of one route; {@code python} runs the file's workers. It is null when no Python was
   * found, and the scan then gave every {@code .py} file that as its problem.
   */
  public Handler handler(HandlerFile file, @Nullable Path python) {
    if (file.problem() != null || python == null) {
      return new PythonHandler(file, null);
    }
    WorkerPool pool =
        pools.computeIfAbsent(
            file.path(),
            path -> {
              WorkerPool created =
                  new WorkerPool(
                      path,
                      python,
                      modeOf(file),
                      settings,
                      new HashMap<>(System.getenv()),
                      line -> log.accept(nameOf(path), line));
              if (warm) {
                created.warm();
              }
              return created;
            });
    return new PythonHandler(file, pool);
  }

  /**
   * Imports every file now and keeps a worker of each ready from then on (serve), so the first
   * delivery does not wait for an import.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // reap() settles its own workers; close() stops it
  public synchronized void warm() {
    warm = true;
    pools.values().forEach(WorkerPool::warm);
    if (reaper == null) {
      reaper =
          Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().daemon().name("hf-webhooks-python-reaper").unstarted(r));
      reaper.scheduleWithFixedDelay(
          () -> pools.values().forEach(WorkerPool::reap),
          REAP_SECONDS,
          REAP_SECONDS,
          TimeUnit.SECONDS);
    }
  }

  /**
   * Waits until every file has a worker imported (or its import failed) or {@code deadline}
   * (System.nanoTime) passes; the names of the files still importing then.
   */
  public List<String> awaitImports(long deadline) throws InterruptedException {
    List<String> importing = new ArrayList<>();
    for (Map.Entry<Path, WorkerPool> pool : pools.entrySet()) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      if (pool.getValue().ready(left).isEmpty() && pool.getValue().problem().isEmpty()) {
        importing.add(nameOf(pool.getKey()));
      }
    }
    return importing;
  }

  /**
   * Follows a new scan of the folder: pools of files gone are closed, and a file whose content
   * changed gets new workers.
   */
  public void refresh(List<HandlerFile> served) {
    Map<Path, String> modes =
        served.stream()
            .filter(f -> f.kind() == HandlerKind.PYTHON && f.problem() == null)
            .collect(Collectors.toMap(HandlerFile::path, PythonRuntime::modeOf, (a, b) -> "app"));
    Set<Path> gone =
        pools.keySet().stream().filter(p -> !modes.containsKey(p)).collect(Collectors.toSet());
    // Deliveries running on a file that is gone (or now broken) finish first.
    gone.forEach(
        path -> {
          WorkerPool pool = pools.remove(path); // null if close() emptied the map meanwhile
          if (pool != null) {
            pool.retire();
          }
        });
    modes.forEach(
        (path, mode) -> {
          WorkerPool pool = pools.get(path);
          if (pool != null) {
            pool.refresh(mode);
          }
        });
  }

  /** Ends the Python deliveries still running, with all they started (a stop ran out of time). */
  public void terminateRunning() {
    pools.values().parallelStream().forEach(WorkerPool::terminateBusy);
  }

  @Override
  public synchronized void close() {
    if (reaper != null) {
      reaper.shutdownNow();
    }
    pools.values().parallelStream().forEach(WorkerPool::close);
    pools.clear();
  }

  /** How the worker runs the file: {@code app} when it registers routes, else {@code handle}. */
  private static String modeOf(HandlerFile file) {
    return file.function() == null ? "handle" : "app";
  }

  private static String nameOf(Path path) {
    String file = path.getFileName().toString();
    return file.endsWith(".py") ? file.substring(0, file.length() - 3) : file;
  }
}
