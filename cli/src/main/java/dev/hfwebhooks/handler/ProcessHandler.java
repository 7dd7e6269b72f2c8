package dev.hfwebhooks.handler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs an executable (or a {@code .sh} file with {@code sh}) once per delivery: the body on stdin,
 * the HF Jobs variables in the environment, stdout as the answer, stderr to the log.
 *
 * <p>The payload never goes on a command line or into a shell string, so nothing in it is ever
 * interpreted by a shell.
 */
public final class ProcessHandler implements Handler {
  /**
   * Linux refuses to start a process whose single environment string exceeds 128 KiB (E2BIG); a
   * body larger than this is left out of {@code WEBHOOK_PAYLOAD} and read from stdin only.
   */
  static final int MAX_ENV_PAYLOAD_BYTES = 120 * 1024;

  /** The most a pipe holds on any system we run on, so a write of this size never blocks. */
  private static final int PIPE_BUFFER_BYTES = 16 * 1024;

  /** After a timeout the process tree gets SIGTERM, then SIGKILL once this grace has passed. */
  public static final Duration KILL_GRACE = Duration.ofSeconds(2);

  /**
   * Once the handler exits, how long its output pipes may stay open (held by a background child).
   */
  private static final Duration PIPE_GRACE = Duration.ofSeconds(1);

  private final HandlerFile file;
  private final ProcessSupervisor supervisor;

  ProcessHandler(HandlerFile file, ProcessSupervisor supervisor) {
    this.file = file;
    this.supervisor = supervisor;
  }

  @Override
  public HandlerFile file() {
    return file;
  }

  @Override
  public Outcome handle(Delivery delivery) {
    Path absolute = file.path().toAbsolutePath();
    List<String> command =
        file.kind() == HandlerKind.SHELL
            ? List.of("sh", absolute.toString())
            : List.of(absolute.toString());
    LogLines log = new LogLines(delivery.log());
    Map<String, String> environment = new HashMap<>(System.getenv());
    environment(environment, delivery, log);

    Process process;
    try {
      // A file's absolute path always has a parent: only a root has none.
      process =
          supervisor.start(command, Objects.requireNonNull(absolute.getParent()), environment);
    } catch (IOException e) {
      return Outcome.failed("could not start " + file.path() + ": " + e.getMessage(), log.tail());
    }
    try {
      // A body that fits the pipe's buffer (64 KiB on Linux, 16 KiB at least elsewhere) is
      // written at once without blocking, whether or not the handler reads it; a larger one is
      // fed by a thread, so a handler that does not read cannot block the delivery.
      List<Thread> pumps = new ArrayList<>(3);
      if (delivery.body().length <= PIPE_BUFFER_BYTES) {
        feed(process.getOutputStream(), delivery.body());
      } else {
        pumps.add(Thread.ofVirtual().start(() -> feed(process.getOutputStream(), delivery.body())));
      }
      // The answer is capped (AnswerCap); a handler that prints more is cut, and the log says so.
      Capture stdout = new Capture(AnswerCap.maxBytes());
      pumps.add(Thread.ofVirtual().start(() -> stdout.drain(process.getInputStream())));
      pumps.add(Thread.ofVirtual().start(() -> log.drain(process.getErrorStream())));

      if (!process.waitFor(delivery.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        supervisor.terminate(process, KILL_GRACE);
        join(PIPE_GRACE, pumps);
        return Outcome.timedOut(file.name(), delivery.timeout(), log.tail())
            .withProcess(exitOrNull(process), stdout.text());
      }
      join(PIPE_GRACE, pumps);
      if (stdout.truncated) {
        log.add(AnswerCap.cutLine(stdout.max));
      }
      int exit = process.exitValue();
      String output = stdout.text();
      if (supervisor.stoppedAtShutdown(process)) {
        return Outcome.failed(file.name() + " was stopped: the server is shutting down", log.tail())
            .withProcess(exit, output);
      }
      if (exit != 0) {
        return Outcome.failed("%s exited with status %d".formatted(file.name(), exit), log.tail())
            .withProcess(exit, output);
      }
      return Outcome.succeeded(Outcome.Answer.of(output, delivery.id()), log.tail())
          .withProcess(exit, output);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      supervisor.terminate(process, Duration.ZERO);
      return Outcome.failed(file.name() + " was interrupted (server stopping)", log.tail());
    } finally {
      supervisor.forget(process);
    }
  }

  private void environment(Map<String, String> env, Delivery delivery, LogLines log) {
    // The server has already checked the secret; a handler has no use for it, and a handler that
    // prints its environment would otherwise leak it into logs.
    env.remove("WEBHOOK_SECRET");
    if (delivery.body().length <= MAX_ENV_PAYLOAD_BYTES) {
      env.put("WEBHOOK_PAYLOAD", new String(delivery.body(), StandardCharsets.UTF_8));
    } else {
      env.remove("WEBHOOK_PAYLOAD");
      log.add(
          "[hf-webhooks] payload of %d bytes is too large for WEBHOOK_PAYLOAD; read it from stdin"
              .formatted(delivery.body().length));
    }
    env.putAll(WebhookEnv.of(delivery, file.name()));
  }

  /** The exit status of a process that was made to stop, or null while it still hangs on. */
  private static @Nullable Integer exitOrNull(Process process) {
    return process.isAlive() ? null : process.exitValue();
  }

  private static void feed(OutputStream stdin, byte[] body) {
    try (stdin) {
      stdin.write(body);
    } catch (IOException e) {
      // A handler need not read its stdin; one that exits first closes the pipe.
    }
  }

  private static void join(Duration grace, List<Thread> threads) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    for (Thread thread : threads) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        thread.join(Duration.ofNanos(left));
      }
    }
  }

  /** Reads stdout to its end, keeping the first {@code max} bytes. */
  private static final class Capture {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final int max;
    private volatile boolean truncated;

    Capture(int max) {
      this.max = max;
    }

    void drain(InputStream in) {
      byte[] buffer = new byte[8192];
      try (in) {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          int room = max - bytes.size();
          bytes.write(buffer, 0, Math.min(n, Math.max(room, 0)));
          truncated |= n > room;
        }
      } catch (IOException e) {
        // Closed when the process is killed; what was read is kept.
      }
    }

    String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }
}
