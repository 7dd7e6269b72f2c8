package dev.hfwebhooks.handler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.flow.Concurrency;
import dev.hfwebhooks.flow.Lanes;
import dev.hfwebhooks.handler.python.PythonRuntime;
import dev.hfwebhooks.handler.python.PythonSettings;
import dev.hfwebhooks.payload.Json;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The runnable handlers of one folder, by name, and the runtimes behind them. With {@link #watch},
 * the set follows the folder: a file added, removed or renamed takes effect within a second, and
 * handlers whose file did not change keep their state (warm JavaScript contexts). Closing it ends
 * every handler process still running and the JavaScript engine.
 */
public final class Handlers implements AutoCloseable {
  /** Editors save in several steps (write, rename, chmod): changes this close are one change. */
  private static final Duration SETTLE = Duration.ofMillis(100);

  private final ProcessSupervisor processes = new ProcessSupervisor();
  private final JsRuntime js = new JsRuntime();
  private final PythonRuntime python;
  private final Lanes lanes = new Lanes();
  private volatile Snapshot current;
  private volatile BiConsumer<String, String> loadLog = (name, line) -> {};
  private @Nullable WatchService watcher;

  /** Whether the folder was found gone at the last rescan, so that it is said once. */
  private boolean folderGone;

  /** How often a folder found gone is looked for again. */
  private static final Duration GONE_POLL = Duration.ofSeconds(1);

  /**
   * One consistent view: the scan, the handler of each served file, and what each file declares
   * (read again on every change of the folder, so an edited {@code @filter} takes effect).
   */
  private record Snapshot(
      HandlerScan scan, Map<String, Handler> byName, Map<String, Directives.Declared> declared) {
    Snapshot(HandlerScan scan, Map<String, Handler> byName) {
      this(scan, byName, declarations(scan));
    }
  }

  private static Map<String, Directives.Declared> declarations(HandlerScan scan) {
    Map<String, Directives.Declared> declared = new LinkedHashMap<>();
    for (HandlerFile file : scan.handlers()) {
      declared.put(file.name(), Directives.read(file));
    }
    return Map.copyOf(declared);
  }

  public Handlers(HandlerScan scan) {
    this(scan, PythonSettings.DEFAULT);
  }

  public Handlers(HandlerScan scan, PythonSettings pythonSettings) {
    this.python = new PythonRuntime(pythonSettings);
    this.current = new Snapshot(scan, build(scan, Map.of()));
  }

  private Map<String, Handler> build(HandlerScan scan, Map<String, Handler> previous) {
    Map<String, Handler> byName = new LinkedHashMap<>();
    for (HandlerFile file : scan.handlers()) {
      Handler kept = previous.get(file.name());
      byName.put(
          file.name(), kept != null && kept.file().equals(file) ? kept : newHandler(file, scan));
    }
    return Map.copyOf(byName);
  }

  private Handler newHandler(HandlerFile file, HandlerScan scan) {
    return switch (file.kind()) {
      case JS -> newJsHandler(file);
      case PYTHON -> python.handler(file, scan.python().executable());
      case PROCESS, SHELL -> new ProcessHandler(file, processes);
    };
  }

  private JsHandler newJsHandler(HandlerFile file) {
    JsHandler handler = new JsHandler(file, js);
    handler.watched(watcher != null);
    return handler;
  }

  public HandlerScan scan() {
    return current.scan();
  }

  public Optional<Handler> find(String name) {
    return Optional.ofNullable(current.byName().get(name));
  }

  /**
   * What the file of handler {@code name} declares (its flow control, or the malformed directive
   * that keeps it from running), as of the last scan.
   */
  public Optional<Directives.Declared> declared(String name) {
    return Optional.ofNullable(current.declared().get(name));
  }

  /**
   * The lane a delivery of handler {@code name} with {@code body} (a valid payload) runs in, as its
   * {@code @concurrency} says; null when it runs without limit. Every way a delivery runs in one
   * server (as it arrives, queued, left by the last server) shares these lanes.
   */
  public Lanes.@Nullable Lane lane(String name, byte[] body) {
    if (declared(name).map(d -> d.flow().concurrency()).isEmpty()) {
      return null;
    }
    try {
      return lane(name, Json.MAPPER.readTree(body));
    } catch (IOException e) {
      return lane(name, Json.MAPPER.missingNode()); // a journal edited by hand: any lane will do
    }
  }

  /** The lanes of every handler's {@code @concurrency}, shared by all ways a delivery runs. */
  public Lanes lanes() {
    return lanes;
  }

  /** As {@link #lane(String, byte[])}, with the payload read already. */
  public Lanes.@Nullable Lane lane(String name, JsonNode payload) {
    Concurrency concurrency = declared(name).map(d -> d.flow().concurrency()).orElse(null);
    return concurrency == null ? null : concurrency.lane(lanes, name, payload);
  }

  /** The handlers in name order. */
  public Collection<Handler> all() {
    Map<String, Handler> byName = current.byName();
    return current.scan().handlers().stream().map(f -> byName.get(f.name())).toList();
  }

  /**
   * Where lines printed outside any delivery go (what a Python file prints while it imports, a
   * JavaScript file while {@link #warmUp} loads it), as (handler name, line).
   */
  public void logLoadsTo(BiConsumer<String, String> log) {
    loadLog = log;
    python.logTo(log);
  }

  /**
   * Starts getting every handler ready for its first delivery, side by side: each Python file
   * imported in a warm worker (one kept ready from then on), each JavaScript file loaded into a
   * context, and the process launcher linked (its C functions take a tenth of a second; linked even
   * without a process handler, since one may be saved into the folder while serving).
   *
   * <p>For servers, which wait for it before they say they are ready: a command that runs one
   * delivery gains nothing.
   */
  public WarmUp warmUp() {
    python.warm();
    List<JsHandler> scripts =
        current.byName().values().stream()
            .filter(JsHandler.class::isInstance)
            .map(JsHandler.class::cast)
            .toList();
    Thread launcher =
        Thread.ofPlatform().daemon().name("hf-webhooks-launcher").start(Launcher::best);
    Thread js =
        Thread.ofPlatform()
            .daemon()
            .name("hf-webhooks-js-warm-up")
            .start(
                () -> {
                  try {
                    scripts.forEach(h -> h.prewarm(line -> loadLog.accept(h.file().name(), line)));
                  } catch (IllegalStateException e) {
                    // The engine closed under it: serve stopped at start (a damaged journal, say),
                    // whose one line must not be followed by this thread's stack trace.
                  }
                });
    return new WarmUp(launcher, js);
  }

  /** A warm-up under way. */
  public final class WarmUp {
    private final Thread launcher;
    private final Thread scripts;

    private WarmUp(Thread launcher, Thread scripts) {
      this.launcher = launcher;
      this.scripts = scripts;
    }

    /**
     * Waits until everything is ready or {@code limit} has passed; the names of the Python files
     * still importing then, whose first delivery waits for the import as it would without warming.
     */
    public List<String> await(Duration limit) throws InterruptedException {
      long deadline = System.nanoTime() + limit.toNanos();
      join(launcher, deadline);
      join(scripts, deadline);
      return python.awaitImports(deadline);
    }

    private static void join(Thread thread, long deadline) throws InterruptedException {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        thread.join(Duration.ofNanos(left));
      }
    }
  }

  /**
   * Watches the folder and rescans it on every change, reporting what changed to {@code log}. A
   * delivery already running keeps the handler it started with; the next one sees the new set.
   */
  public synchronized void watch(Consumer<String> log) throws IOException {
    Path dir = current.scan().dir();
    watcher = FileSystems.getDefault().newWatchService();
    WatchService service = watcher;
    WatchKey first = register(dir, service);
    // Taken with the watch, not when its thread starts: the folder may go in between.
    Object firstIdentity = identity(dir);
    current.byName().values().stream()
        .filter(JsHandler.class::isInstance)
        .forEach(h -> ((JsHandler) h).watched(true));
    Thread.ofPlatform()
        .daemon()
        .name("hf-webhooks-watch")
        .start(
            () -> {
              try {
                WatchKey watched = first;
                Object identity = firstIdentity;
                while (true) {
                  WatchKey key = service.poll(GONE_POLL.toMillis(), TimeUnit.MILLISECONDS);
                  if (key != null) {
                    // Let a burst of events settle, then take them all as one change.
                    Thread.sleep(SETTLE);
                    do {
                      key.pollEvents();
                      key.reset();
                    } while ((key = service.poll(10, TimeUnit.MILLISECONDS)) != null);
                    rescan(log);
                  }
                  // The folder itself may have gone (deleted, moved away, replaced by a file):
                  // a watch follows the folder it was given, not its name, so look at the name.
                  if (!watched.isValid() || !Objects.equals(identity, identity(dir))) {
                    watched.cancel();
                    rescan(log);
                    while (identity(dir) == null) {
                      Thread.sleep(GONE_POLL.toMillis());
                    }
                    watched = register(dir, service);
                    identity = identity(dir);
                    rescan(log);
                  }
                }
              } catch (InterruptedException | ClosedWatchServiceException e) {
                // Stopped.
              } catch (IOException e) {
                log.accept(
                    "warning: cannot watch %s again (%s); restart to pick up changes"
                        .formatted(dir, e.getMessage()));
              }
            });
  }

  private static WatchKey register(Path dir, WatchService service) throws IOException {
    return dir.register(
        service,
        StandardWatchEventKinds.ENTRY_CREATE,
        StandardWatchEventKinds.ENTRY_DELETE,
        StandardWatchEventKinds.ENTRY_MODIFY);
  }

  /** Which folder {@code dir} names now (its inode), or null when it names none. */
  private static @Nullable Object identity(Path dir) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(dir, BasicFileAttributes.class);
      return attributes.isDirectory() ? attributes.fileKey() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Brings the set up to date with the folder and reports the difference. */
  public synchronized void rescan(Consumer<String> log) {
    Snapshot before = current;
    HandlerScan scan;
    Path dir = before.scan().dir();
    try {
      scan = before.scan().again();
      if (folderGone) {
        log.accept("the handlers folder " + dir + " is back");
        folderGone = false;
      }
    } catch (IOException e) {
      if (Files.isDirectory(dir)) {
        log.accept("error: " + e.getMessage() + "; still serving the handlers loaded before");
        return;
      }
      // Its handlers cannot run any more: 404 for each until the folder is back.
      if (!folderGone) {
        log.accept(
            "error: the handlers folder %s is gone (deleted, moved or replaced by a file): no"
                    .formatted(dir)
                + " webhooks are served until it is back");
        folderGone = true;
      }
      scan = before.scan().none();
    }
    Snapshot after = new Snapshot(scan, build(scan, before.byName()));
    // Any event may be an edit of a kept JavaScript file: let each read its file again.
    after.byName().values().stream()
        .filter(JsHandler.class::isInstance)
        .forEach(h -> ((JsHandler) h).fileMayHaveChanged());
    current = after;
    python.refresh(scan.handlers());
    before
        .byName()
        .forEach(
            (name, handler) -> {
              Handler now = after.byName().get(name);
              if (now == null) {
                log.accept("removed webhook POST /webhooks/" + name);
              } else if (now != handler) {
                log.accept(
                    "reloaded webhook POST /webhooks/" + name + " (" + now.file().path() + ")");
              }
              if (now != handler) {
                handler.close();
              }
            });
    after.byName().keySet().stream()
        .filter(name -> !before.byName().containsKey(name))
        .forEach(name -> log.accept("added webhook POST /webhooks/" + name));
    List<HandlerScan.Conflict> newConflicts =
        scan.conflicts().stream().filter(c -> !before.scan().conflicts().contains(c)).toList();
    newConflicts.forEach(c -> log.accept("error: " + c.message()));
  }

  @Override
  public synchronized void close() {
    if (watcher != null) {
      try {
        watcher.close();
      } catch (IOException e) {
        // Closing a watch service does not fail in a way worth reporting at shutdown.
      }
    }
    processes.terminateAll(ProcessHandler.KILL_GRACE);
    current.byName().values().forEach(Handler::close);
    js.close();
    python.close();
  }

  /** Ends running handler processes now, leaving the handlers usable (graceful stop ran out). */
  public void terminateRunning(Duration grace) {
    python.terminateRunning();
    processes.terminateAll(grace);
  }
}
