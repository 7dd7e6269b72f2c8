package dev.hfwebhooks.handler;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts handler processes and keeps track of them, so a timeout ends a handler's whole process
 * tree and a stopping server leaves no child behind.
 */
final class ProcessSupervisor {
  private final Set<Process> running = ConcurrentHashMap.newKeySet();
  private final Set<Process> stoppedAtShutdown = ConcurrentHashMap.newKeySet();

  Process start(List<String> command, Path directory, Map<String, String> environment)
      throws IOException {
    Process process = Launcher.best().start(command, directory, environment);
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

  /** Ends {@code process} and everything it started (see {@link ProcessTree#terminate}). */
  void terminate(Process process, Duration grace) {
    ProcessTree.terminate(process, grace);
  }

  /** Ends every process still running (server shutdown). */
  void terminateAll(Duration grace) {
    List<Process> all = List.copyOf(running);
    stoppedAtShutdown.addAll(all);
    all.parallelStream().forEach(p -> terminate(p, grace));
  }
}
