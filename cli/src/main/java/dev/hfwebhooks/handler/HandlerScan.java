package dev.hfwebhooks.handler;

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
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a handlers folder holds: the files that become webhooks, the files skipped and why, and the
 * names claimed by more than one file. Reads names and permission bits only, so it is cheap enough
 * for {@code list} to run without starting any runtime.
 */
public record HandlerScan(
    Path dir, List<HandlerFile> handlers, List<Skipped> skipped, List<Conflict> conflicts) {

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

  /** Scans {@code dir}; a missing or unreadable folder is an {@link IOException} that says so. */
  public static HandlerScan of(Path dir) throws IOException {
    List<Path> entries;
    try (Stream<Path> listing = Files.list(dir)) {
      entries = listing.sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    } catch (NoSuchFileException e) {
      throw new IOException("handlers folder " + dir + " does not exist", e);
    } catch (NotDirectoryException e) {
      throw new IOException(dir + " is not a folder", e);
    } catch (IOException e) {
      throw new IOException("cannot read handlers folder " + dir + ": " + e.getMessage(), e);
    }
    Map<String, List<HandlerFile>> byName = new TreeMap<>();
    List<Skipped> skipped = new ArrayList<>();
    for (Path path : entries) {
      String reason = skipReason(path);
      if (reason != null) {
        skipped.add(new Skipped(path, reason));
      } else {
        HandlerFile file = new HandlerFile(nameOf(path), kindOf(path), path);
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
    return new HandlerScan(
        dir, List.copyOf(handlers), List.copyOf(skipped), List.copyOf(conflicts));
  }

  /** Why {@code path} is not a handler, or null when it is one. */
  private static String skipReason(Path path) {
    String file = path.getFileName().toString();
    String ext = extension(file);
    if (file.startsWith(".")) {
      return "hidden file";
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
    if (!ext.equals("js") && !ext.equals("mjs") && !ext.equals("sh") && !Files.isExecutable(path)) {
      return "not executable: make it executable (chmod +x), or name it .js, .mjs or .sh";
    }
    String name = nameOf(path);
    if (!NAME.matcher(name).matches()) {
      return "name \""
          + name
          + "\" cannot be a URL path segment: use letters, digits, '-', '_' and '.'";
    }
    return null;
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
