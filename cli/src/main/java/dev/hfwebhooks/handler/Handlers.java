package dev.hfwebhooks.handler;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The runnable handlers of one folder, by name, and the runtimes behind them. Closing it ends every
 * handler process still running and the JavaScript engine.
 */
public final class Handlers implements AutoCloseable {
  private final HandlerScan scan;
  private final Map<String, Handler> byName = new LinkedHashMap<>();
  private final ProcessSupervisor processes = new ProcessSupervisor();
  private final JsRuntime js = new JsRuntime();

  public Handlers(HandlerScan scan) {
    this.scan = scan;
    for (HandlerFile file : scan.handlers()) {
      byName.put(
          file.name(),
          file.kind() == HandlerKind.JS
              ? new JsHandler(file, js)
              : new ProcessHandler(file, processes));
    }
  }

  public HandlerScan scan() {
    return scan;
  }

  public Optional<Handler> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public Collection<Handler> all() {
    return byName.values();
  }

  @Override
  public void close() {
    processes.terminateAll(ProcessHandler.KILL_GRACE);
    js.close();
  }

  /** Ends running handler processes now, leaving the handlers usable (graceful stop ran out). */
  public void terminateRunning(Duration grace) {
    processes.terminateAll(grace);
  }
}
