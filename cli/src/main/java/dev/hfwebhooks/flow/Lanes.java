package dev.hfwebhooks.flow;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * What {@code @concurrency} holds to: at most a lane's limit of runs at once, the others waiting
 * their turn oldest first. A lane is one handler and one key value ({@code acme/model} for {@code
 * key=repo.name}); lanes do not wait for each other. Synchronous deliveries wait on their own
 * thread ({@link Lane#enter}); queued ones give their worker back and are handed to a worker again
 * when their turn comes ({@link Lane#tryEnter}), so a backlog in one lane never holds up the
 * others.
 *
 * <p>A turn is handed straight from the run that leaves to the oldest waiter, so a delivery that
 * arrives meanwhile cannot take it first.
 */
public final class Lanes {
  /** A run's place in its lane; {@link #leave} once it ended (again does nothing). */
  public interface Turn {
    void leave();
  }

  private static final class State {
    int running;
    final ArrayDeque<CompletableFuture<Turn>> waiting = new ArrayDeque<>();
  }

  private final Map<String, State> states = new HashMap<>();

  /**
   * The lane named {@code name} (the handler and the key value: what tells lanes apart), taking
   * {@code limit} runs at once; {@code describe} says which it is in messages.
   */
  public Lane lane(String name, int limit, String describe) {
    return new Lane(name, limit, describe);
  }

  /** One lane of this set. */
  public final class Lane {
    private final String name;
    private final int limit;
    private final String describe;

    private Lane(String name, int limit, String describe) {
      this.name = name;
      this.limit = limit;
      this.describe = describe;
    }

    /** How many runs it takes at once. */
    public int limit() {
      return limit;
    }

    /** Which lane it is, in words ({@code repo.name=acme/model}). */
    public String describe() {
      return describe;
    }

    /**
     * A turn now, or null: then {@code later} gets it when it comes, on the thread of the run that
     * left it, so it must only hand the work on.
     */
    @SuppressWarnings("FutureReturnValueIgnored") // later only hands the work on
    public @Nullable Turn tryEnter(Consumer<Turn> later) {
      CompletableFuture<Turn> waiter = new CompletableFuture<>();
      Turn now = enterOrWait(waiter);
      if (now == null) {
        waiter.thenAccept(later);
      }
      return now;
    }

    /**
     * Waits for a turn for at most {@code wait}; null when it did not come in time (its place in
     * the lane is then given up).
     */
    // Identity is what removes this waiter from the queue, which is what a future's equals gives.
    @SuppressWarnings("CollectionUndefinedEquality")
    public @Nullable Turn enter(Duration wait) throws InterruptedException {
      CompletableFuture<Turn> waiter = new CompletableFuture<>();
      Turn now = enterOrWait(waiter);
      if (now != null) {
        return now;
      }
      try {
        return waiter.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | InterruptedException e) {
        synchronized (Lanes.this) {
          State state = states.get(name);
          if (state != null && state.waiting.remove(waiter)) {
            if (e instanceof InterruptedException interrupted) {
              throw interrupted;
            }
            return null;
          }
        }
        return waiter.join(); // handed a turn just as the wait ended: take it
      } catch (ExecutionException e) {
        throw new IllegalStateException("a turn is never completed with an error", e);
      }
    }

    private @Nullable Turn enterOrWait(CompletableFuture<Turn> waiter) {
      synchronized (Lanes.this) {
        State state = states.computeIfAbsent(name, n -> new State());
        if (state.running < limit && state.waiting.isEmpty()) {
          state.running++;
          return turn();
        }
        state.waiting.add(waiter);
        return null;
      }
    }

    private Turn turn() {
      boolean[] left = new boolean[1];
      return () -> {
        synchronized (left) {
          if (left[0]) {
            return;
          }
          left[0] = true;
        }
        leave();
      };
    }

    private void leave() {
      CompletableFuture<Turn> next;
      synchronized (Lanes.this) {
        // Present: this lane has a turn out (running > 0) until the last one leaves.
        State state = Objects.requireNonNull(states.get(name));
        next = state.waiting.poll();
        if (next == null && --state.running == 0) {
          states.remove(name); // an entry per key value ever seen would only grow
        }
      }
      if (next != null) {
        next.complete(turn());
      }
    }
  }
}
