package dev.hfwebhooks.handler.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Python side of hf-webhooks (the worker, the scanner, the huggingface_hub stand-in), shipped
 * in the jar and written out once to a folder named after their content, so Python runs them as
 * real files (readable tracebacks, {@code ps} shows what runs) and two versions never mix.
 */
final class Scripts {
  static final String WORKER = "hf_webhooks_worker.py";
  static final String SCANNER = "hf_webhooks_scan.py";
  private static final List<String> FILES =
      List.of(WORKER, SCANNER, "hf_webhooks_calls.py", "hf_webhooks_hub.py");

  private static volatile @Nullable Path dir;

  private Scripts() {}

  static Path worker() {
    return dir().resolve(WORKER);
  }

  static Path scanner() {
    return dir().resolve(SCANNER);
  }

  private static Path dir() {
    Path known = dir;
    if (known == null) {
      synchronized (Scripts.class) {
        if (dir == null) {
          dir = extract();
        }
        known = dir;
      }
    }
    return known;
  }

  private static Path extract() {
    try {
      Map<String, byte[]> files = new LinkedHashMap<>();
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String name : FILES) {
        try (InputStream in = Scripts.class.getResourceAsStream("/python/" + name)) {
          if (in == null) {
            throw new IOException("the jar has no python/" + name);
          }
          byte[] bytes = in.readAllBytes();
          files.put(name, bytes);
          digest.update(bytes);
        }
      }
      String version = HexFormat.of().formatHex(digest.digest()).substring(0, 16);
      try {
        return writeOnce(cacheHome().resolve("hf-webhooks").resolve("python-" + version), files);
      } catch (IOException | UnsupportedOperationException e) {
        // No writable cache (a read-only home in a container), or one this user cannot trust: a
        // private folder of this run.
        Path temp = Files.createTempDirectory("hf-webhooks-python-");
        temp.toFile().deleteOnExit();
        for (var file : files.entrySet()) {
          Path path = Files.write(temp.resolve(file.getKey()), file.getValue());
          path.toFile().deleteOnExit();
        }
        return temp;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write out the Python worker: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Fills a new folder, then renames it into place, so a reader never sees half of it. */
  private static Path writeOnce(Path target, Map<String, byte[]> files) throws IOException {
    if (Files.isDirectory(target)) {
      return trusted(target, files);
    }
    Files.createDirectories(target.getParent());
    Path staging = Files.createTempDirectory(target.getParent(), ".staging-");
    for (var file : files.entrySet()) {
      Files.write(staging.resolve(file.getKey()), file.getValue());
    }
    try {
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // Another server wrote the same content first (or the move is refused): use theirs.
      for (String name : files.keySet()) {
        Files.deleteIfExists(staging.resolve(name));
      }
      Files.deleteIfExists(staging);
      if (!Files.isDirectory(target)) {
        throw e;
      }
    }
    return trusted(target, files);
  }

  /**
   * {@code dir}, when this user owns it, nobody else may write to it, and it holds exactly the
   * jar's files: the workers run what is in it, so a folder another user planted is refused.
   */
  private static Path trusted(Path dir, Map<String, byte[]> files) throws IOException {
    var attributes =
        Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    boolean safe =
        attributes.isDirectory()
            && attributes.owner().getName().equals(System.getProperty("user.name"))
            && !attributes.permissions().contains(PosixFilePermission.GROUP_WRITE)
            && !attributes.permissions().contains(PosixFilePermission.OTHERS_WRITE);
    for (var file : files.entrySet()) {
      Path path = dir.resolve(file.getKey());
      safe =
          safe
              && !Files.isSymbolicLink(path)
              && Arrays.equals(Files.readAllBytes(path), file.getValue());
    }
    if (!safe) {
      throw new IOException(dir + " is not this user's own copy of the Python worker");
    }
    return dir;
  }

  private static Path cacheHome() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    return xdg != null && !xdg.isBlank()
        ? Path.of(xdg)
        : Path.of(System.getProperty("user.home"), ".cache");
  }
}
