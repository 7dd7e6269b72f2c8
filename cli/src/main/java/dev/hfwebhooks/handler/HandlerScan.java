package dev.hfwebhooks.handler;

import dev.hfwebhooks.handler.python.Interpreter;
import dev.hfwebhooks.handler.python.PythonScan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * What a handlers folder (or one handler file) holds: the webhooks its files serve, the files
 * skipped and why, and the names claimed by more than one file. Reads names and permission bits,
 * and parses {@code .py} files with the Python that will run them (one start of it for the whole
 * folder, and only when there is one), so {@code list} runs no handler code.
 *
 * @param dir the folder the handlers are in
 * @param only the one file scanned ({@code serve app.py}), or null for the whole folder
 * @param python the Python that runs {@code .py} handlers
 */
public record HandlerScan(
    Path dir,
    @Nullable Path only,
    Interpreter python,
    List<HandlerFile> handlers,
    List<Skipped> skipped,
    List<Conflict> conflicts) {

  /** A file that is not served, with the reason in words a user acts on. */
  public record Skipped(Path path, String reason) {}

  /** Two or more files that would serve one route; none of them is served. */
  public record Conflict(String name, List<Path> paths) {
    public String message() {
      return "%s: %s would all serve /webhooks/%s; rename or remove all but one"
          .formatted(name, String.join(", ", paths.stream().map(Path::toString).toList()), name);
    }
  }

  /**
   * Route names are one URL path segment of plain characters, so a request path can never name a
   * file outside the folder, and the URL a user copies into the Hub needs no escaping.
   */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  /**
   * A route a Python file registers may have several segments ({@code a/b}), as huggingface_hub
   * allows; each is a plain name.
   */
  static final Pattern ROUTE =
      Pattern.compile("(?=.{1,200}$)[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*");

  /** Files that travel with handlers but are never code, even when a checkout marks them +x. */
  private static final Set<String> NOT_CODE =
      Set.of(
          "md",
          "markdown",
          "txt",
          "rst",
          "adoc",
          "json",
          "jsonl",
          "yaml",
          "yml",
          "toml",
          "csv",
          "tsv",
          "xml",
          "html",
          "htm",
          "css",
          "ini",
          "cfg",
          "conf",
          "env",
          "log",
          "lock",
          "pdf",
          "png",
          "jpg",
          "jpeg",
          "gif",
          "svg",
          "ico",
          "zip",
          "gz",
          "tar",
          "parquet");

  private static final Set<String> BACKUPS =
      Set.of("swp", "swo", "swx", "bak", "orig", "rej", "tmp");

  /** Scans {@code target} with the Python found as {@link Interpreter#locate} says. */
  public static HandlerScan of(Path target) throws IOException {
    return of(target, Interpreter.locate(null, folderOf(target), System.getenv()));
  }

  /** The handlers folder of {@code target}: itself, or the folder of a single handler file. */
  public static Path folderOf(Path target) {
    // A file's absolute path always has a parent: only a root has none, and a root is a folder.
    return Files.isRegularFile(target)
        ? Objects.requireNonNull(target.toAbsolutePath().getParent())
        : target;
  }

  /**
   * Scans {@code target}, a folder or one handler file; a missing or unreadable one is an {@link
   * IOException} that says so.
   */
  public static HandlerScan of(Path target, Interpreter python) throws IOException {
    if (Files.isRegularFile(target)) {
      return of(folderOf(target), target, List.of(target), python);
    }
    List<Path> entries;
    try (Stream<Path> listing = Files.list(target)) {
      entries = listing.sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    } catch (NoSuchFileException e) {
      throw new IOException("handlers folder " + target + " does not exist", e);
    } catch (NotDirectoryException e) {
      throw new IOException(target + " is not a folder or a handler file", e);
    } catch (IOException e) {
      throw new IOException("cannot read handlers folder " + target + ": " + e.getMessage(), e);
    }
    return of(target, null, entries, python);
  }

  /** The same target with no handlers: what is served while its folder is gone. */
  public HandlerScan none() {
    return new HandlerScan(dir, only, python, List.of(), List.of(), List.of());
  }

  /** The same target scanned again (the folder changed). */
  public HandlerScan again() throws IOException {
    if (only == null && !Files.isDirectory(dir)) {
      // A folder replaced by a file is not a handler file to serve.
      throw new IOException("handlers folder " + dir + " is not a folder any more");
    }
    return of(only != null ? only : dir, python);
  }

  private static HandlerScan of(
      Path dir, @Nullable Path only, List<Path> entries, Interpreter python) {
    Map<String, List<HandlerFile>> byName = new TreeMap<>();
    List<Skipped> skipped = new ArrayList<>();
    List<Path> pythonFiles = new ArrayList<>();
    for (Path path : entries) {
      String reason = skipReason(path);
      if (reason != null) {
        skipped.add(new Skipped(path, reason));
      } else if (extension(path.getFileName().toString()).equals("py")) {
        pythonFiles.add(path);
      } else {
        HandlerFile file = new HandlerFile(nameOf(path), kindOf(path), path);
        byName.computeIfAbsent(file.name(), n -> new ArrayList<>()).add(file);
      }
    }
    Map<Path, PythonScan.Result> parsed = PythonScan.of(python, pythonFiles);
    for (Path path : pythonFiles) {
      // PythonScan.of answers for every file it is given.
      PythonScan.Result result = Objects.requireNonNull(parsed.get(path));
      for (HandlerFile file : pythonFiles(path, result, skipped)) {
        byName.computeIfAbsent(file.name(), n -> new ArrayList<>()).add(file);
      }
    }
    List<HandlerFile> handlers = new ArrayList<>();
    List<Conflict> conflicts = new ArrayList<>();
    byName.forEach(
        (name, files) -> {
          if (files.size() == 1) {
            handlers.add(files.get(0));
          } else {
            conflicts.add(new Conflict(name, files.stream().map(HandlerFile::path).toList()));
          }
        });
    skipped.sort(Comparator.comparing(s -> s.path().getFileName().toString()));
    return new HandlerScan(
        dir, only, python, List.copyOf(handlers), List.copyOf(skipped), List.copyOf(conflicts));
  }

  /**
   * The webhooks of a {@code .py} file: its {@code handle} at its file name, or each route it
   * registers; an executable script that has neither runs as a process, as any executable does.
   */
  private static List<HandlerFile> pythonFiles(
      Path path, PythonScan.Result result, List<Skipped> skipped) {
    String stem = nameOf(path);
    if (result.kind() == PythonScan.Kind.APP) {
      List<HandlerFile> routes = new ArrayList<>();
      for (PythonScan.Route route : result.routes()) {
        if (!ROUTE.matcher(route.name()).matches()) {
          skipped.add(
              new Skipped(
                  path,
                  "route \"%s\" of %s() cannot be a URL path: use letters, digits, '-', '_', '.'"
                          .formatted(route.name(), route.function())
                      + " and '/' between them"));
        } else {
          routes.add(
              new HandlerFile(
                  route.name(), HandlerKind.PYTHON, path, route.function(), result.problem()));
        }
      }
      return routes;
    }
    if (!NAME.matcher(stem).matches()) {
      skipped.add(new Skipped(path, badName(stem)));
      return List.of();
    }
    if (result.kind() == PythonScan.Kind.NONE && Files.isExecutable(path)) {
      // A script, run by its own shebang (which may name another Python than ours), as before.
      return List.of(new HandlerFile(stem, HandlerKind.PROCESS, path));
    }
    if (result.kind() == PythonScan.Kind.HANDLE || result.problem() != null) {
      return List.of(new HandlerFile(stem, HandlerKind.PYTHON, path, null, result.problem()));
    }
    return List.of(
        new HandlerFile(
            stem,
            HandlerKind.PYTHON,
            path,
            null,
            path.getFileName()
                + " defines no handle(payload, context) and registers no webhook"
                + " (webhook_endpoint, WebhooksServer.add_webhook); to run it as a script per"
                + " delivery, make it executable (chmod +x)"));
  }

  /** Why {@code path} is not a handler, or null when it is one. */
  private static @Nullable String skipReason(Path path) {
    String file = path.getFileName().toString();
    String ext = extension(file);
    if (file.startsWith(".")) {
      return "hidden file";
    }
    if (file.equals("__pycache__")) {
      return "Python's cache of compiled modules";
    }
    if (file.startsWith("_") && ext.equals("py")) {
      return "a Python module for handlers to import (its name starts with _)";
    }
    if (file.endsWith("~")
        || (file.startsWith("#") && file.endsWith("#"))
        || BACKUPS.contains(ext)) {
      return "editor backup or temporary file";
    }
    if (Files.isDirectory(path)) {
      return "folder: handlers are the files directly in the handlers folder";
    }
    if (!Files.isRegularFile(path)) {
      return "not a regular file";
    }
    if (NOT_CODE.contains(ext)) {
      return "documentation or data file, not a handler";
    }
    if (ext.equals("py")) {
      return null; // its name is checked once its kind is known: an app's routes are named within
    }
    if (!ext.equals("js") && !ext.equals("mjs") && !ext.equals("sh") && !Files.isExecutable(path)) {
      return "not executable: make it executable (chmod +x), or name it .js, .mjs, .py or .sh";
    }
    String name = nameOf(path);
    if (!NAME.matcher(name).matches()) {
      return badName(name);
    }
    return null;
  }

  private static String badName(String name) {
    return "name \""
        + name
        + "\" cannot be a URL path segment: use letters, digits, '-', '_' and '.'";
  }

  private static HandlerKind kindOf(Path path) {
    String ext = extension(path.getFileName().toString());
    if (ext.equals("js") || ext.equals("mjs")) {
      return HandlerKind.JS;
    }
    // A .sh file with the execute bit runs by its own shebang, like any executable.
    return Files.isExecutable(path) ? HandlerKind.PROCESS : HandlerKind.SHELL;
  }

  /**
   * The file name without its last extension: {@code push-to-main.sh} serves {@code push-to-main}.
   */
  static String nameOf(Path path) {
    String file = path.getFileName().toString();
    int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(0, dot) : file;
  }

  private static String extension(String file) {
    int dot = file.lastIndexOf('.');
    return dot > 0 ? file.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
  }
}
