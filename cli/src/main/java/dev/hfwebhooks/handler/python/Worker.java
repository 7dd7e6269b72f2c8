package dev.hfwebhooks.handler.python;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.handler.Launcher;
import dev.hfwebhooks.handler.LogLines;
import dev.hfwebhooks.handler.ProcessTree;
import dev.hfwebhooks.handler.python.Frames.Frame;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One Python process that imported one handler file and runs its deliveries one at a time.
 *
 * <p>Two threads read it: one its frames (the protocol, on the worker's original stdout), one its
 * log (stderr, where the worker also points its stdout). A line of the log belongs to the delivery
 * running when it was written; the worker marks the end of each delivery's log, so every line a
 * handler wrote before returning (its prints, a subprocess's output) is in that delivery's outcome,
 * however the two pipes' reads interleave.
 */
final class Worker {
  /** A log line longer than this is passed on in pieces: a reader never waits for a newline. */
  private static final int MAX_LINE_BYTES = 8 * 1024;

  /** How long the log may trail the answer (its pipe is read on another thread). */
  private static final Duration LOG_GRACE = Duration.ofSeconds(1);

  /** The id the worker marks the end of its import's output with. */
  private static final String IMPORT_MARK = "import";

  private final Process process;
  private final OutputStream toWorker;
  private final String marker;
  private final int markerBytes;
  private final Consumer<String> outsideLog;
  private final Events events;
  private final CompletableFuture<Ready> ready = new CompletableFuture<>();
  private final CompletableFuture<Void> logClosed = new CompletableFuture<>();
  private volatile @Nullable Call call;

  /** Whether the log has passed what the import wrote (which belongs to no delivery). */
  private volatile boolean imported;

  // Kept by the pool, under its lock.
  final long generation;
  int deliveries;
  long rss;
  boolean retiring;
  long idleSince = System.nanoTime();

  /** What the pool hears from a worker, on the worker's reading threads. */
  interface Events {
    /** The delivery's answer is sent and its background tasks are done: it may take another. */
    void idle(Worker worker);

    /** The process ended (or its protocol broke, and it was stopped). */
    void exited(Worker worker);
  }

  /**
   * The worker imported its file: the routes it serves, by name (null: the file's own {@code
   * handle}).
   */
  record Ready(Map<@Nullable String, Route> routes) {}

  /** A route of the imported file: the secret its code sets, and why it cannot be called. */
  record Route(@Nullable String secret, @Nullable String problem) {}

  /** The import failed: the error in one line, and its traceback. */
  static final class ImportFailed extends Exception {
    final String traceback;

    ImportFailed(String error, String traceback) {
      super(error, null, false, false);
      this.traceback = traceback;
    }
  }

  /** The process ended (or broke the protocol) before it answered. */
  static final class Died extends Exception {
    Died(String message) {
      super(message, null, false, false);
    }
  }

  /** The delivery in flight: its log, its answer, and whether its log is complete. */
  private record Call(
      String id, LogLines log, CompletableFuture<Frame> answer, CompletableFuture<Void> logged) {}

  private Worker(
      Process process, String token, long generation, Consumer<String> outsideLog, Events events) {
    this.process = process;
    // Buffered both ways: a frame is one write, and its header is not read a byte per call.
    this.toWorker = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
    this.marker = "\u001ehf-webhooks:" + token + ":";
    this.markerBytes = marker.getBytes(StandardCharsets.UTF_8).length + 40; // and a delivery id
    this.generation = generation;
    this.outsideLog = outsideLog;
    this.events = events;
  }

  /**
   * Starts a worker for {@code file}; {@link #ready()} tells when it has imported it.
   *
   * @param mode {@code handle} or {@code app} (run as {@code __main__})
   * @param outsideLog receives what the worker writes outside any delivery (while importing)
   */
  static Worker start(
      Path python,
      Path file,
      String mode,
      long generation,
      Map<String, String> environment,
      Consumer<String> outsideLog,
      Events events)
      throws IOException {
    String token = UUID.randomUUID().toString().replace("-", "");
    Map<String, String> env = new HashMap<>(environment);
    // The server checks the secret; a handler that prints its environment must not leak it.
    env.remove("WEBHOOK_SECRET");
    env.put("PYTHONUNBUFFERED", "1");
    env.put("PYTHONIOENCODING", "utf-8");
    env.put("PYTHONFAULTHANDLER", "1");
    Path absolute = file.toAbsolutePath();
    Process process =
        Launcher.best()
            .start(
                List.of(
                    python.toString(),
                    Scripts.worker().toString(),
                    absolute.toString(),
                    mode,
                    token),
                // A file's absolute path always has a parent: only a root has none.
                Objects.requireNonNull(absolute.getParent()),
                env);
    Worker worker = new Worker(process, token, generation, outsideLog, events);
    // Platform threads: a virtual thread blocked reading a pipe holds one of the few carrier
    // threads, and with a worker or two per file those ran out (seen: nothing read at all).
    Thread.ofPlatform().daemon().name("hf-webhooks-python-frames").start(worker::readFrames);
    Thread.ofPlatform().daemon().name("hf-webhooks-python-log").start(worker::readLog);
    return worker;
  }

  CompletableFuture<Ready> ready() {
    return ready;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /**
   * Runs one delivery: sends it and waits at most {@code timeout} for the answer, a {@code result}
   * or {@code error} frame, once the delivery's log is complete.
   */
  Frame deliver(ObjectNode meta, byte[] body, LogLines log, Duration timeout)
      throws TimeoutException, Died, InterruptedException {
    Call current =
        new Call(
            meta.path("id").asText(), log, new CompletableFuture<>(), new CompletableFuture<>());
    call = current;
    try {
      Frames.write(toWorker, "deliver", meta, body);
    } catch (IOException e) {
      throw new Died("the Python worker could not be sent the delivery: " + e.getMessage());
    }
    Frame answer;
    try {
      answer = current.answer().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      // The process ended, maybe before its log's last lines were read: they are what says why,
      // so the log is read to its end before the delivery fails with it.
      awaitLogClosed();
      throw (Died) e.getCause();
    }
    try {
      current.logged().get(LOG_GRACE.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // The answer stands; a log line still on its way goes to the server's log only.
    }
    return answer;
  }

  /**
   * Ends the process and everything it started: SIGTERM (the worker prints where each thread was,
   * into the log), SIGKILL after {@code grace}. Waits a moment for the log to be read to its end.
   */
  void kill(Duration grace) {
    ProcessTree.terminate(process, grace);
    awaitLogClosed();
  }

  /** Waits a moment for the log of an ended process to be read to its end. */
  private void awaitLogClosed() {
    try {
      logClosed.get(LOG_GRACE.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // A grandchild holds the pipe open; what was read is kept.
    }
  }

  /** Asks the worker to leave (end of its stdin); it finishes what it runs, then exits. */
  void stop(Duration grace) {
    try {
      toWorker.close();
    } catch (IOException e) {
      // Already gone.
    }
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                  ProcessTree.terminate(process, grace);
                }
              } catch (InterruptedException e) {
                ProcessTree.terminate(process, Duration.ZERO);
              }
            });
  }

  /** The exit status once the process has ended, or null while it still runs. */
  @Nullable Integer exitStatus() {
    try {
      return process.waitFor(LOG_GRACE.toMillis(), TimeUnit.MILLISECONDS)
          ? process.exitValue()
          : null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private void readFrames() {
    String broken = null;
    try (InputStream in = new BufferedInputStream(process.getInputStream(), 1 << 16)) {
      for (Frame frame = Frames.read(in); frame != null; frame = Frames.read(in)) {
        switch (frame.kind()) {
          case "ready" -> ready.complete(ready(frame.meta()));
          case "failed" ->
              ready.completeExceptionally(
                  new ImportFailed(
                      frame.meta().path("error").asText(),
                      frame.meta().path("traceback").asText()));
          case "result", "error" -> {
            Call current = call;
            if (current != null) {
              current.answer().complete(frame);
            }
            if (frame.meta().path("idle").asBoolean()) {
              idle(); // no background tasks: free now, no idle frame follows
            }
          }
          case "idle" -> idle();
          default -> throw new IOException("unknown frame " + frame.kind());
        }
      }
    } catch (IOException e) {
      broken = e.getMessage();
    }
    if (broken != null) {
      // A worker that breaks the protocol cannot be trusted with another delivery.
      outsideLog.accept("[hf-webhooks] the Python worker broke the protocol: " + broken);
      ProcessTree.terminate(process, Duration.ZERO);
    }
    Integer status = exitStatus();
    String how = status == null ? "stopped answering" : "exited with status " + status;
    Died died = new Died("the Python worker " + how);
    ready.completeExceptionally(died);
    Call current = call;
    if (current != null) {
      current.answer().completeExceptionally(died);
    }
    events.exited(this);
  }

  @SuppressWarnings("FutureReturnValueIgnored") // nothing waits: the callback moves on
  private void idle() {
    Call current = call;
    if (current == null) {
      events.idle(this);
      return;
    }
    // Only once the last delivery's log is complete, so no line of it reaches the next one (or
    // after a grace, should its end never be seen: a worker is never stranded).
    current
        .logged()
        .completeOnTimeout(null, LOG_GRACE.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (ok, error) -> {
              call = null;
              events.idle(this);
            });
  }

  private static Ready ready(JsonNode meta) {
    Map<@Nullable String, Route> routes = new HashMap<>();
    for (JsonNode route : meta.path("routes")) {
      routes.put(
          textOrNull(route.path("name")),
          new Route(textOrNull(route.path("secret")), textOrNull(route.path("problem"))));
    }
    return new Ready(routes);
  }

  private static @Nullable String textOrNull(JsonNode node) {
    return node.isTextual() ? node.asText() : null;
  }

  private void readLog() {
    byte[] line = new byte[MAX_LINE_BYTES];
    int size = 0;
    byte[] buffer = new byte[8192];
    try (InputStream in = process.getErrorStream()) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            line(new String(line, 0, size, StandardCharsets.UTF_8));
            size = 0;
            continue;
          }
          line[size++] = buffer[i];
          if (size == line.length) {
            // A long line is passed on in pieces, keeping enough of its end for a marker that
            // may start there, and cut between characters, never inside one.
            int cut = size - markerBytes - 64;
            while (cut > 0 && (line[cut] & 0xC0) == 0x80) {
              cut--;
            }
            pass(new String(line, 0, cut, StandardCharsets.UTF_8));
            System.arraycopy(line, cut, line, 0, size - cut);
            size -= cut;
          }
        }
      }
    } catch (IOException e) {
      // Closed when the process is killed; what was read is kept.
    }
    if (size > 0) {
      line(new String(line, 0, size, StandardCharsets.UTF_8));
    }
    Call current = call;
    if (current != null) {
      current.logged().complete(null);
    }
    logClosed.complete(null);
  }

  private void line(String text) {
    int at = text.indexOf(marker);
    if (at >= 0) {
      // The end of a delivery's log, possibly after a last line written without its newline.
      if (at > 0) {
        pass(text.substring(0, at));
      }
      String id = text.substring(at + marker.length());
      if (id.equals(IMPORT_MARK)) {
        imported = true;
        return;
      }
      Call current = call;
      if (current != null && current.id().equals(id)) {
        current.logged().complete(null);
      }
      return;
    }
    pass(text);
  }

  private void pass(String text) {
    String stripped = text.stripTrailing();
    Call current = call;
    if (imported && current != null && !current.logged().isDone()) {
      current.log().add(stripped);
    } else {
      outsideLog.accept(stripped);
    }
  }
}
