package dev.hfwebhooks.handler.python;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Python that runs {@code .py} handlers, chosen as a Python user expects: {@code --python
 * PATH}, else the active virtual environment ({@code $VIRTUAL_ENV}), else a {@code .venv} in the
 * handlers folder, else {@code python3} on the {@code PATH}. Nothing is run to choose it; its
 * version is checked when the handlers are first scanned.
 *
 * @param executable the program, or null when none was found
 * @param problem why there is none, in words a user acts on, or null
 */
public record Interpreter(@Nullable Path executable, @Nullable String problem) {
  /** The oldest Python the worker supports. */
  static final int MIN_MINOR = 9;

  public static Interpreter locate(
      @Nullable Path explicit, Path handlersDir, Map<String, String> env) {
    if (explicit != null) {
      return Files.isExecutable(explicit) && !Files.isDirectory(explicit)
          ? found(explicit)
          : missing("--python " + explicit + " is not an executable file");
    }
    String venv = env.get("VIRTUAL_ENV");
    if (venv != null && !venv.isBlank()) {
      Path python = Path.of(venv, "bin", "python");
      if (Files.isExecutable(python)) {
        return found(python);
      }
    }
    Path local = handlersDir.resolve(".venv").resolve("bin").resolve("python");
    if (Files.isExecutable(local)) {
      return found(local);
    }
    for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator, -1)) {
      if (!dir.isEmpty()) {
        Path python = Path.of(dir, "python3");
        if (Files.isExecutable(python) && !Files.isDirectory(python)) {
          return found(python);
        }
      }
    }
    return missing(
        "no Python found: install Python 3."
            + MIN_MINOR
            + " or newer (Debian, Ubuntu: apt-get install python3), activate a virtual"
            + " environment, or pass --python PATH");
  }

  /** Absolute: workers start in the handlers folder, where a relative path means another file. */
  private static Interpreter found(Path python) {
    return new Interpreter(python.toAbsolutePath(), null);
  }

  static Interpreter missing(String problem) {
    return new Interpreter(null, problem);
  }

  public boolean found() {
    return executable != null;
  }
}
