package dev.hfwebhooks.handler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Starts handler processes: the program and its arguments, in a working directory, with exactly the
 * given environment, stdin, stdout and stderr as pipes.
 *
 * <p>Spawning is most of what a process handler costs. The JDK's {@link ProcessBuilder} starts a
 * helper program ({@code jspawnhelper}) that then starts the handler: two programs loaded per
 * delivery, which halves the rate at which a JVM can start processes. On Linux with Java 22+,
 * {@link #best()} calls the C library's {@code posix_spawn} directly through the JDK's foreign
 * function API instead, which loads the handler alone, the way Go and Python start processes.
 */
public interface Launcher {
  Process start(List<String> command, Path directory, Map<String, String> environment)
      throws IOException;

  /** The launcher's name, for logs and benchmarks. */
  String name();

  /**
   * {@code posix_spawn} where it can run (Linux, glibc 2.34+, Java 22+, and not turned off with
   * {@code -Dhf-webhooks.launcher=jdk}), else the JDK's {@link ProcessBuilder}. Chosen on first
   * use: linking the C functions takes a tenth of a second, which commands that start no process
   * ({@code list}) should not pay.
   */
  static Launcher best() {
    return Best.LAUNCHER;
  }

  /** Holds the choice, made when first asked for. */
  final class Best {
    private static final Launcher LAUNCHER = choose();

    private Best() {}
  }

  private static Launcher choose() {
    if (!"jdk".equals(System.getProperty("hf-webhooks.launcher"))
        && Runtime.version().feature() >= 22
        && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
        && Files.isDirectory(Path.of("/proc/self/fd"))) {
      try {
        // Compiled for Java 22 (src/main/java22), so loaded by name only on 22 or newer.
        Class<?> spawn = Class.forName("dev.hfwebhooks.handler.PosixSpawn");
        Object launcher = spawn.getDeclaredMethod("load").invoke(null);
        if (launcher != null) {
          return (Launcher) launcher;
        }
      } catch (ReflectiveOperationException | LinkageError e) {
        // Not usable on this system: the JDK's launcher works everywhere.
      }
    }
    return new Jdk();
  }

  /** The JDK's portable launcher. */
  final class Jdk implements Launcher {
    @Override
    public Process start(List<String> command, Path directory, Map<String, String> environment)
        throws IOException {
      ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
      Map<String, String> env = builder.environment();
      env.clear();
      env.putAll(environment);
      return builder.start();
    }

    @Override
    public String name() {
      return "jdk";
    }
  }
}
