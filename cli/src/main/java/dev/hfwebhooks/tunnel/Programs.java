package dev.hfwebhooks.tunnel;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/** Finds programs the way a shell does, so a missing one is reported before anything starts. */
final class Programs {
  /** Where util-linux lives when PATH is minimal (a service, a container). */
  private static final List<String> SYSTEM_DIRS = List.of("/usr/bin", "/bin");

  private Programs() {}

  /** {@code name} on {@code path} (a PATH value), or the file it names when it has a slash. */
  static Optional<Path> find(String name, @Nullable String path) {
    if (name.contains(File.separator)) {
      Path file = Path.of(name);
      return Files.exists(file) ? Optional.of(file) : Optional.empty();
    }
    return Stream.of(path == null ? new String[0] : path.split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, name))
        .filter(file -> Files.isRegularFile(file) && Files.isExecutable(file))
        .findFirst();
  }

  /** A system tool such as {@code setsid}: on PATH, else in the usual folders. */
  static Optional<Path> system(String name) {
    return find(name, System.getenv("PATH"))
        .or(() -> find(name, String.join(File.pathSeparator, SYSTEM_DIRS)));
  }
}
