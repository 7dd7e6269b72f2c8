package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.hub.Registration;
import dev.hfwebhooks.server.WebhookServer;
import dev.hfwebhooks.tunnel.Tunnel;
import java.io.PrintWriter;
import java.util.concurrent.CompletableFuture;

/**
 * Stops what {@code serve} started, once, whoever asks first: the shutdown hook (Ctrl-C, SIGTERM)
 * or {@code serve} itself when the tunnel fails. The order loses nothing: first the webhooks this
 * run registered are deleted from the Hub, so it sends no new deliveries to an address about to
 * die; then the server, so running deliveries still answer through the tunnel; then the tunnel
 * client; then the handlers.
 */
final class Shutdown {
  private final PrintWriter out;
  private final WebhookServer server;
  private final Handlers handlers;
  private final CompletableFuture<Void> requested = new CompletableFuture<>();
  private final Thread hook = new Thread(this::onSignal, "hf-webhooks-shutdown");
  private Tunnel tunnel;
  private Registration registration;
  private boolean done;

  Shutdown(PrintWriter out, WebhookServer server, Handlers handlers) {
    this.out = out;
    this.server = server;
    this.handlers = handlers;
  }

  void install() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Completes when a signal asked the server to stop. */
  CompletableFuture<Void> requested() {
    return requested;
  }

  /** Adds the tunnel to what is stopped; closes it at once if everything already stopped. */
  synchronized void add(Tunnel started) {
    if (done) {
      started.close();
    } else {
      tunnel = started;
    }
  }

  /** Adds the Hub registration to what is undone; undoes it at once if everything stopped. */
  void add(Registration started) {
    synchronized (this) {
      if (!done) {
        registration = started;
        return;
      }
    }
    started.unregister(this::print);
  }

  private void print(String line) {
    out.println(line);
    out.flush();
  }

  private void onSignal() {
    requested.complete(null);
    stop(true);
  }

  /** Stops everything; a second caller waits for the first to finish. */
  synchronized void stop(boolean announce) {
    if (done) {
      return;
    }
    done = true;
    if (announce) {
      out.println("Stopping: letting running deliveries finish...");
      out.flush();
    }
    if (registration != null) {
      registration.unregister(this::print);
    }
    server.close();
    if (tunnel != null) {
      tunnel.close();
    }
    handlers.close();
    if (announce) {
      out.println("Stopped.");
      out.flush();
    }
  }

  /** Stops from {@code serve} itself, which then exits with an error: the hook is not needed. */
  void stopBeforeExit(boolean announce) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already stopping: the hook runs too, and stop() runs only once.
    }
    stop(announce);
  }
}
