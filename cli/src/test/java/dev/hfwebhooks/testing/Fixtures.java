package dev.hfwebhooks.testing;

import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.python.Interpreter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes handler files and reads the sample payloads of the repository. */
public final class Fixtures {
  /** The repository's sample payloads (tests run with the module folder as working directory). */
  public static final Path PAYLOADS = Path.of("..", "payloads");

  /**
   * Debian's Python, which has pydantic ({@code python3-pydantic}, installed by .ci/run): the
   * {@code python3} first on a developer's PATH may be another without it.
   */
  public static final Path DEBIAN_PYTHON = Path.of("/usr/bin/python3");

  private Fixtures() {}

  /** The Python that tests run {@code .py} handlers with. */
  public static Interpreter python() {
    return new Interpreter(DEBIAN_PYTHON, null);
  }

  /** Scans {@code dir} with {@link #python()}. */
  public static HandlerScan scan(Path dir) {
    try {
      return HandlerScan.of(dir, python());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes {@code dir/name}, a process handler that notes each delivery id in {@code runs}, then
   * runs until the test creates {@code gate}: no sleep stands for "long enough".
   */
  public static Path gatedScript(Path dir, String name, Path runs, Path gate) {
    return write(
        dir,
        name,
        """
        #!/bin/sh
        echo "$WEBHOOK_DELIVERY_ID" >> '%s'
        while [ ! -e '%s' ]; do sleep 0.05; done
        """
            .formatted(runs, gate));
  }

  /** Writes {@code content} to {@code dir/name}; executable when the content starts with #!. */
  public static Path write(Path dir, String name, String content) {
    try {
      Path file = dir.resolve(name);
      Files.writeString(file, content);
      if (content.startsWith("#!")) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] payload(String name) {
    try {
      return Files.readAllBytes(PAYLOADS.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether process {@code pid} still runs. A zombie (ended, not yet reaped by whatever adopted it)
   * counts as ended, though {@link ProcessHandle#isAlive()} still reports it.
   */
  public static boolean isRunning(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      // The state letter follows the command name in parentheses.
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false; // no such process
    }
  }

  public static String payloadText(String name) {
    return new String(payload(name), StandardCharsets.UTF_8);
  }
}
