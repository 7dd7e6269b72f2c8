package dev.hfwebhooks.tunnel;

import dev.hfwebhooks.handler.ProcessTree;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.HubToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A tunnel client (ngrok, cloudflared...) run as a child of the server, giving it a public URL.
 *
 * <p>The client never outlives the server: {@link #close} ends it and everything it started, the
 * server's shutdown hook calls it on Ctrl-C and SIGTERM, and on Linux, when the JVM dies without
 * running hooks, the kernel ends the client (see {@link DieWithServer}) and a watchdog process ends
 * what the client started (see {@link GroupWatchdog}). A client that ends on its own is reported
 * through {@link #lost}, never restarted: a new tunnel would have a new URL, which the webhooks
 * registered on the Hub do not know.
 *
 * <p>The client gets the server's environment without the Hub token and the webhook secret, which
 * are none of its business.
 */
public final class Tunnel implements AutoCloseable {
  /** How long the client gets to exit after SIGTERM before SIGKILL. */
  static final Duration STOP_GRACE = Duration.ofSeconds(5);

  /** Lines of the client's output shown in an error. */
  static final int SHOWN_LINES = 12;

  /** Once the client exits, how long a child of it may keep its output open. */
  private static final Duration PIPE_GRACE = Duration.ofSeconds(1);

  /**
   * Variables removed from the client's environment besides the Hub's tokens: the webhook secret.
   * Masking them in its output is not enough; a client may send its environment anywhere.
   */
  private static final List<String> HIDDEN_VARIABLES = List.of("WEBHOOK_SECRET");

  private final TunnelSpec spec;
  private final Process process;
  private final ClientOutput output;
  private volatile @Nullable GroupWatchdog watchdog;
  private final List<Thread> readers = new ArrayList<>();
  private final CompletableFuture<String> url = new CompletableFuture<>();
  private final CompletableFuture<String> lost = new CompletableFuture<>();
  private volatile boolean closing;

  private Tunnel(TunnelSpec spec, Process process, ClientOutput output) {
    this.spec = spec;
    this.process = process;
    this.output = output;
  }

  /**
   * Starts the client for a server on {@code port} and returns at once; {@link #awaitUrl} waits for
   * its URL.
   *
   * @param secrets values to mask in its output besides those found in the environment
   * @param echo receives each line it prints, secrets masked
   * @throws TunnelException when the client is not installed or cannot start
   */
  public static Tunnel start(
      TunnelSpec spec, int port, Collection<String> secrets, Consumer<String> echo)
      throws TunnelException {
    return start(spec, port, secrets, echo, System.getenv());
  }

  /** The Hub token wherever the server would find it, the token file included; empty for none. */
  private static Optional<String> fileToken(Map<String, String> environment) {
    try {
      return HubToken.find(environment).map(HubToken::value);
    } catch (HubException e) {
      return Optional.empty(); // an unreadable token file: no token to show either
    }
  }

  /** {@link #start} with {@code environment} standing for the server's (for tests). */
  static Tunnel start(
      TunnelSpec spec,
      int port,
      Collection<String> secrets,
      Consumer<String> echo,
      Map<String, String> environment)
      throws TunnelException {
    List<String> command = new ArrayList<>(spec.commandFor(port));
    command.set(0, resolve(spec, environment.get("PATH")).toString());
    ProcessBuilder builder = new ProcessBuilder(withPrefix(command));
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(environment);
    // NGROK_AUTHTOKEN and the like pass through: the client needs its own credentials. The Hub
    // token and the webhook secret are removed, not only masked in the output.
    HubToken.VARIABLES.forEach(env::remove);
    HIDDEN_VARIABLES.forEach(env::remove);
    // What is removed is still masked: the client may find the token by other means (the file
    // `huggingface-cli login` writes) and print it.
    // The token in the file `huggingface-cli login` wrote is in no variable to find it by.
    List<String> masked = new ArrayList<>(secrets);
    fileToken(environment).ifPresent(masked::add);
    ClientOutput output = new ClientOutput(Redactor.of(environment, command, masked), echo);

    // The kernel's parent-death signal follows the thread that started the process, so a thread
    // that lives exactly as long as the client starts it, then waits for it.
    CompletableFuture<Process> started = new CompletableFuture<>();
    CompletableFuture<Tunnel> created = new CompletableFuture<>();
    Thread.ofPlatform()
        .name("hf-webhooks-tunnel")
        .daemon()
        .start(
            () -> {
              Process process;
              try {
                process = builder.start();
              } catch (IOException | RuntimeException e) {
                started.completeExceptionally(e);
                return;
              }
              started.complete(process);
              int status = waitFor(process);
              created.join().exited(status);
            });
    Process process;
    try {
      process = started.get();
    } catch (ExecutionException e) {
      throw new TunnelException(
          "could not start "
              + spec.client()
              + ": "
              + Objects.requireNonNullElse(e.getCause(), e).getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TunnelException("interrupted while starting " + spec.client());
    }
    Tunnel tunnel = new Tunnel(spec, process, output);
    if (DieWithServer.ownGroup()) {
      // No parent-death signal for this one: it is what acts once the JVM is gone.
      tunnel.watchdog = GroupWatchdog.start(process.pid(), STOP_GRACE).orElse(null);
    }
    tunnel.readers.add(Thread.ofVirtual().start(() -> tunnel.read(process.getInputStream())));
    tunnel.readers.add(Thread.ofVirtual().start(() -> tunnel.read(process.getErrorStream())));
    created.complete(tunnel);
    return tunnel;
  }

  private static List<String> withPrefix(List<String> command) {
    List<String> all = new ArrayList<>(DieWithServer.prefix());
    all.addAll(command);
    return all;
  }

  /** The program, checked before anything starts so that a missing one gets its own message. */
  private static Path resolve(TunnelSpec spec, @Nullable String path) throws TunnelException {
    String program = spec.command().getFirst();
    Path found =
        Programs.find(program, path)
            .orElseThrow(
                () ->
                    new TunnelException(
                        program.contains("/")
                            ? program + " does not exist: " + spec.installHint()
                            : program
                                + " is not installed (not found on PATH): "
                                + spec.installHint()));
    if (!Files.isRegularFile(found) || !Files.isExecutable(found)) {
      throw new TunnelException(program + " is not an executable file: " + spec.installHint());
    }
    return found.toAbsolutePath();
  }

  /**
   * Waits for the public URL, for at most the spec's timeout. Whatever goes wrong, the client is
   * stopped before this throws.
   *
   * @throws TunnelException when the client exits first, prints no URL in time, or is closed
   */
  public String awaitUrl() throws TunnelException, InterruptedException {
    try {
      return url.get(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      close();
      throw new TunnelException(
          "%s gave no public URL within %d s (--tunnel-timeout): %s"
              .formatted(spec.client(), spec.timeout().toSeconds(), spec.noUrlHint()),
          output.lastLines(SHOWN_LINES));
    } catch (ExecutionException e) {
      close();
      throw (TunnelException) e.getCause();
    } catch (InterruptedException e) {
      close();
      throw e;
    }
  }

  /**
   * Completes with a message, client's last lines included, if the client ends while the server
   * still needs it; never completes when {@link #close} ended it.
   */
  public CompletableFuture<String> lost() {
    return lost;
  }

  /** The client's process id (for tests and diagnostics). */
  public long pid() {
    return process.pid();
  }

  public String client() {
    return spec.client();
  }

  private void read(InputStream in) {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        output.add(line);
        if (!url.isDone()) {
          spec.scanner().find(line).ifPresent(url::complete);
        }
      }
    } catch (IOException e) {
      // Closed when the client is stopped; what was read is kept.
    }
  }

  /** Runs on the starting thread when the client has exited, whoever ended it. */
  private void exited(int status) {
    joinReaders(); // its last lines may say why it ended
    if (closing) {
      url.completeExceptionally(new TunnelException(spec.client() + " was stopped"));
      return;
    }
    if (url.isDone()) {
      lost.complete(
          TunnelException.withLines(
              "%s exited with status %d while serving: %s no longer reaches this server"
                  .formatted(spec.client(), status, url.join()),
              output.lastLines(SHOWN_LINES)));
    } else {
      url.completeExceptionally(
          new TunnelException(
              "%s exited with status %d before giving a public URL"
                  .formatted(spec.client(), status),
              output.lastLines(SHOWN_LINES)));
    }
  }

  private void joinReaders() {
    long deadline = System.nanoTime() + PIPE_GRACE.toNanos();
    for (Thread reader : readers) {
      long left = deadline - System.nanoTime();
      try {
        if (left > 0) {
          reader.join(Duration.ofNanos(left));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static int waitFor(Process process) {
    while (true) {
      try {
        return process.waitFor();
      } catch (InterruptedException e) {
        // Nothing interrupts this thread on purpose; the client's exit is what ends it.
      }
    }
  }

  /** Stops the client and whatever it started: SIGTERM, then SIGKILL after a grace period. */
  @Override
  public void close() {
    closing = true;
    ProcessTree.terminate(process, STOP_GRACE);
    try {
      process.getOutputStream().close(); // clients that watch stdin see the server go
    } catch (IOException e) {
      // Already closed.
    }
    GroupWatchdog left = watchdog;
    if (left != null) {
      // Also ends what the client moved out of its process tree but not out of its group.
      left.close();
    }
  }

  /** The watchdog of the client's process group, or null where none runs (for tests). */
  @Nullable GroupWatchdog watchdog() {
    return watchdog;
  }
}
