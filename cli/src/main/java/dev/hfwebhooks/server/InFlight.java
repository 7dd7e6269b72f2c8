package dev.hfwebhooks.server;

import java.time.Duration;

/** Counts deliveries in progress, so a stopping server can let them finish first. */
final class InFlight {
  private int count;
  private boolean draining;

  /** Registers a delivery; false once the server is stopping. */
  synchronized boolean enter() {
    if (draining) {
      return false;
    }
    count++;
    return true;
  }

  synchronized void leave() {
    count--;
    notifyAll();
  }

  synchronized void drain() {
    draining = true;
  }

  synchronized boolean isDraining() {
    return draining;
  }

  synchronized int count() {
    return count;
  }

  /** Waits until no delivery runs, for at most {@code limit}; true when idle. */
  synchronized boolean awaitIdle(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (count > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }
}
