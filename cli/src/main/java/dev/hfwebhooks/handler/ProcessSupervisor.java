package dev.hfwebhooks.handler;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts handler processes and keeps track of them, so a timeout ends a handler's whole process
 * tree and a stopping server leaves no child behind.
 */
final class ProcessSupervisor {
  private final Set<Process> running = ConcurrentHashMap.newKeySet();
  private final Set<Process> stoppedAtShutdown = ConcurrentHashMap.newKeySet();

  Process start(ProcessBuilder builder) throws IOException {
    Process process = builder.start();
    running.add(process);
    return process;
  }

  void forget(Process process) {
    running.remove(process);
    stoppedAtShutdown.remove(process);
  }

  /** Whether {@code process} ended because {@link #terminateAll} stopped it. */
  boolean stoppedAtShutdown(Process process) {
    return stoppedAtShutdown.contains(process);
  }

  /**
   * Sends SIGTERM to the process and every descendant, then SIGKILL to whatever is still alive
   * after {@code grace}. Descendants are collected first: once the parent dies, its children are
   * re-parented and can no longer be found from it.
   */
  void terminate(Process process, Duration grace) {
    List<ProcessHandle> tree =
        Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
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

  /** Ends every process still running (server shutdown). */
  void terminateAll(Duration grace) {
    List<Process> all = List.copyOf(running);
    stoppedAtShutdown.addAll(all);
    all.parallelStream().forEach(p -> terminate(p, grace));
  }
}
