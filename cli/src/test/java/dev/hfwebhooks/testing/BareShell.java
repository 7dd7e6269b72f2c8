package dev.hfwebhooks.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs programs the way a user's fresh shell would ({@code env -i HOME=... PATH=...}): an emptied
 * environment holding only the variables given, so nothing of the test JVM's (JAVA_HOME, a PATH
 * with a JDK) leaks into what is tested.
 */
public final class BareShell {
  /** Exit code and output of a finished process. */
  public record Result(int exit, String out, String err) {
    /** Everything the process printed, for assertion messages. */
    public String all() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  private final Path dir;
  private final Map<String, String> env;

  private BareShell(Path dir, Map<String, String> env) {
    this.dir = dir;
    this.env = Map.copyOf(env);
  }

  /** A shell in {@code dir} with HOME and PATH only. */
  public static BareShell in(Path dir, Path home, String path) {
    return new BareShell(dir, Map.of("HOME", home.toString(), "PATH", path));
  }

  /** The same shell with one more variable. */
  public BareShell with(String name, String value) {
    Map<String, String> more = new HashMap<>(env);
    more.put(name, value);
    return new BareShell(dir, more);
  }

  public ProcessBuilder builder(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().clear();
    builder.environment().putAll(env);
    return builder;
  }

  /** Runs {@code command} to its end (two minutes at most) and returns what it printed. */
  public Result run(String... command) {
    try {
      Process process = builder(List.of(command)).start();
      CompletableFuture<String> err =
          CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
      String out = read(process.getInputStream());
      assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("finished in time").isTrue();
      return new Result(process.exitValue(), out, err.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
