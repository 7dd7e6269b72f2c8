package dev.hfwebhooks.handler;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Ends a process with everything it started: handler processes and the tunnel client alike. */
public final class ProcessTree {
  private ProcessTree() {}

  /**
   * Sends SIGTERM to the process and every descendant, then SIGKILL to whatever is still alive
   * after {@code grace}. Descendants are collected first: once the parent dies, its children are
   * re-parented and can no longer be found from it.
   */
  public static void terminate(Process process, Duration grace) {
    // By pid rather than process.toHandle(): a process that has just ended and been reaped has no
    // handle left, and then there is nothing to end (its children, if any, were re-parented).
    Optional<ProcessHandle> root = ProcessHandle.of(process.pid());
    if (root.isEmpty()) {
      return;
    }
    List<ProcessHandle> tree = Stream.concat(root.stream(), root.get().descendants()).toList();
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    for (ProcessHandle handle : tree) {
      long left = deadline - System.nanoTime();
      try {
        if (left > 0) {
          handle.onExit().get(left, TimeUnit.NANOSECONDS);
        }
      } catch (Exception e) {
        // Still alive (or not waitable): killed below.
      }
    }
    tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }
}
