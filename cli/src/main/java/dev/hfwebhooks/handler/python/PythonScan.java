package dev.hfwebhooks.handler.python;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.payload.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What each {@code .py} file in a handlers folder is, told by parsing it with the chosen Python
 * (hf_webhooks_scan.py), never by running it: one interpreter start for the whole folder.
 */
public final class PythonScan {
  private static final long TIMEOUT_SECONDS = 30;

  private PythonScan() {}

  /** How the file serves webhooks. */
  public enum Kind {
    /** Defines {@code handle(payload, context)}: served at {@code /webhooks/<file name>}. */
    HANDLE,
    /** Registers routes the way huggingface_hub does; run as {@code __main__}. */
    APP,
    /** Neither: an executable one runs as a process per delivery. */
    NONE
  }

  /** A route a file registers: its name under /webhooks/ and the function that serves it. */
  public record Route(String name, String function) {}

  /**
   * One file's findings.
   *
   * @param problem what keeps it from running (syntax error, a missing module, no Python), or null
   */
  public record Result(Kind kind, List<Route> routes, @Nullable String problem) {
    static Result broken(String problem) {
      return new Result(Kind.NONE, List.of(), problem);
    }
  }

  /** Scans {@code files} with {@code python}; a file the scan could not judge is broken. */
  public static Map<Path, Result> of(Interpreter python, List<Path> files) {
    Map<Path, Result> results = new HashMap<>();
    if (files.isEmpty()) {
      return results;
    }
    String failure = python.problem();
    if (failure == null) {
      // An Interpreter without a problem is one that was found (Interpreter.found).
      Path executable = Objects.requireNonNull(python.executable());
      try {
        failure = run(executable, files, results);
      } catch (IOException e) {
        failure = "cannot run " + executable + ": " + e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = "interrupted while reading the Python handlers";
      }
    }
    // A file the scanner left out (it stopped part way) is not taken for a plain script.
    String why = failure != null ? failure : "the Python scanner gave no report on it";
    for (Path file : files) {
      results.putIfAbsent(file, Result.broken(why));
    }
    return results;
  }

  /** Fills {@code results}; the reason when the Python cannot be used at all, else null. */
  private static @Nullable String run(Path python, List<Path> files, Map<Path, Result> results)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(python.toString());
    command.add(Scripts.scanner().toString());
    files.forEach(f -> command.add(f.toAbsolutePath().toString()));
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().close();
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return python + " did not answer within " + TIMEOUT_SECONDS + " s";
    }
    JsonNode report;
    try {
      report = Json.MAPPER.readTree(out.join());
    } catch (IOException e) {
      report = null;
    }
    if (process.exitValue() != 0 || report == null || !report.has("python")) {
      String said = new String(err.join(), StandardCharsets.UTF_8).strip();
      return "%s is not a working Python 3.%d+ (exit %d%s)"
          .formatted(
              python,
              Interpreter.MIN_MINOR,
              process.exitValue(),
              said.isEmpty() ? "" : ": " + lastLine(said));
    }
    String version = report.path("python").asText();
    String[] parts = version.split("\\.", -1);
    if (parts.length < 2
        || !parts[0].equals("3")
        || Integer.parseInt(parts[1].replaceAll("\\D.*", "")) < Interpreter.MIN_MINOR) {
      return "%s is Python %s; Python handlers need 3.%d or newer (pass another with --python)"
          .formatted(python, version, Interpreter.MIN_MINOR);
    }
    int index = 0;
    for (JsonNode file : report.path("files")) {
      if (index == files.size()) {
        break; // more than it was given: what follows cannot be matched to a file
      }
      List<Route> routes = new ArrayList<>();
      file.path("routes")
          .forEach(
              r -> routes.add(new Route(r.path("name").asText(), r.path("function").asText())));
      String problem = file.path("problem").isTextual() ? file.path("problem").asText() : null;
      Kind kind = Kind.valueOf(file.path("kind").asText("none").toUpperCase(Locale.ROOT));
      results.put(files.get(index++), new Result(kind, List.copyOf(routes), problem));
    }
    return null;
  }

  private static CompletableFuture<byte[]> drain(InputStream in) {
    CompletableFuture<byte[]> bytes = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try (in) {
                bytes.complete(in.readAllBytes());
              } catch (IOException e) {
                bytes.complete(new byte[0]);
              }
            });
    return bytes;
  }

  private static String lastLine(String text) {
    return text.substring(text.lastIndexOf('\n') + 1);
  }
}
