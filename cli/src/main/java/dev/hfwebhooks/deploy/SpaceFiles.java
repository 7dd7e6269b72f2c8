package dev.hfwebhooks.deploy;

import dev.hfwebhooks.hub.SpaceFile;
import dev.hfwebhooks.hub.SpaceId;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a Space made by {@code deploy} holds: a {@code README.md} whose front matter makes it a
 * Docker Space on port 7860, a {@code Dockerfile} that starts {@code FROM} the published
 * hf-webhooks image and adds the handlers, and the handlers folder under {@code handlers/}.
 *
 * @param files every file, README.md and Dockerfile first, then the handlers by path
 * @param executables the handlers that were executable here (the Hub's commit API keeps no file
 *     modes, so the Dockerfile sets them again)
 */
public record SpaceFiles(List<SpaceFile> files, List<String> executables) {
  /**
   * Where release builds publish the server's image: {@code ghcr.io/OWNER/hf-webhooks}, OWNER being
   * {@code release.github.owner} in {@code jreleaser.yml} (a test holds them together).
   */
  public static final String IMAGE_REPOSITORY = "ghcr.io/hf-webhooks/hf-webhooks";

  /** The Hub takes larger files only through Git LFS, which deploy does not speak. */
  public static final int MAX_FILE_BYTES = 5 * 1024 * 1024;

  static final String HANDLERS = "handlers/";

  /**
   * The image of the code this program is: its release's {@code X.Y.Z} tag, or for a snapshot build
   * the rolling {@code early-access} image that snapshots publish.
   */
  public static String defaultImage() {
    Properties build = new Properties();
    try (InputStream in = SpaceFiles.class.getResourceAsStream("/hf-webhooks-version.properties")) {
      if (in != null) {
        build.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return IMAGE_REPOSITORY + ":" + tag(build.getProperty("version", ""));
  }

  /** The image tag of {@code version}: itself for a release, {@code early-access} otherwise. */
  static String tag(String version) {
    return version.matches("\\d+\\.\\d+\\.\\d+") ? version : "early-access";
  }

  /**
   * The files for {@code space}: {@code handlers} (a folder, or one handler file with the {@code
   * requirements.txt} beside it) under {@code handlers/}, leaving out hidden files, {@code
   * __pycache__} and {@code .pyc}, as a build would.
   */
  public static SpaceFiles of(SpaceId space, Path handlers, String image) throws IOException {
    // Each handler's path in the Space (under handlers/), and where it is here.
    Map<String, Path> sources = new TreeMap<>();
    if (Files.isDirectory(handlers)) {
      try (Stream<Path> walk = Files.walk(handlers)) {
        walk.filter(p -> Files.isRegularFile(p) && !skipped(handlers.relativize(p)))
            .forEach(p -> sources.put(HANDLERS + slashed(handlers.relativize(p)), p));
      }
    } else {
      sources.put(HANDLERS + handlers.getFileName(), handlers);
      Path requirements = handlers.toAbsolutePath().resolveSibling("requirements.txt");
      if (Files.isRegularFile(requirements)) {
        sources.putIfAbsent(HANDLERS + "requirements.txt", requirements);
      }
    }
    List<SpaceFile> handlerFiles = new ArrayList<>();
    List<String> executables = new ArrayList<>();
    for (Map.Entry<String, Path> source : sources.entrySet()) {
      handlerFiles.add(new SpaceFile(source.getKey(), Files.readAllBytes(source.getValue())));
      if (Files.isExecutable(source.getValue())) {
        executables.add(source.getKey());
      }
    }
    List<SpaceFile> files = new ArrayList<>();
    files.add(new SpaceFile("README.md", readme(space).getBytes(StandardCharsets.UTF_8)));
    files.add(
        new SpaceFile(
            "Dockerfile", dockerfile(image, executables).getBytes(StandardCharsets.UTF_8)));
    files.addAll(handlerFiles);
    return new SpaceFiles(List.copyOf(files), List.copyOf(executables));
  }

  /** The handlers' paths in the Space. */
  public List<String> handlerPaths() {
    return files.stream().map(SpaceFile::path).filter(p -> p.startsWith(HANDLERS)).toList();
  }

  private static boolean skipped(Path relative) {
    for (Path part : relative) {
      String name = part.toString();
      if (name.startsWith(".") || name.equals("__pycache__") || name.equals("node_modules")) {
        return true;
      }
    }
    return relative.toString().endsWith(".pyc");
  }

  private static String slashed(Path relative) {
    return relative.toString().replace('\\', '/');
  }

  /**
   * The Space's Dockerfile: the published image, the handlers, their Python requirements, and back
   * the executable bits the commit API drops. It runs as the image's user, uid 1000, who owns the
   * image's Python environment.
   */
  static String dockerfile(String image, List<String> executables) {
    StringBuilder text =
        new StringBuilder(
            """
            # Written by `hf-webhooks deploy`, which replaces it on every deploy: edit the handlers,
            # not this file. The image serves /app/handlers on port 7860 as uid 1000.
            FROM %s
            COPY --chown=1000:1000 handlers/ /app/handlers/
            RUN if [ -f /app/handlers/requirements.txt ]; then pip install --no-cache-dir -r /app/handlers/requirements.txt; fi
            """
                .formatted(image));
    if (!executables.isEmpty()) {
      text.append(
          "# The Hub keeps no file modes: these were executable where they were deployed from.\n");
      text.append("RUN [\"chmod\", \"+x\"");
      for (String path : executables) {
        text.append(", \"/app/")
            .append(path.replace("\\", "\\\\").replace("\"", "\\\""))
            .append('"');
      }
      text.append("]\n");
    }
    return text.toString();
  }

  /** The Space's README: the front matter Spaces read, and what the Space serves. */
  static String readme(SpaceId space) {
    return """
            ---
            title: %s
            sdk: docker
            app_port: 7860
            pinned: false
            ---

            # %s

            Hugging Face Hub webhooks served by [hf-webhooks](https://github.com/hf-webhooks/hf-webhooks)
            from the `handlers/` folder. `hf-webhooks deploy %s` wrote this Space; run it again after
            changing the handlers (it replaces `README.md`, `Dockerfile` and `handlers/`).

            The console is at the Space's URL, `/`; each handler answers `POST /webhooks/<name>`.
            """
        .formatted(space.name(), space, space);
  }

  /** Writes the files under {@code folder}, as the Space will hold them. */
  public void export(Path folder) throws IOException {
    for (SpaceFile file : files) {
      Path target = folder.resolve(file.path());
      Files.createDirectories(target.getParent());
      Files.write(target, file.content());
      if (executables.contains(file.path())) {
        target.toFile().setExecutable(true, false);
      }
    }
  }
}
