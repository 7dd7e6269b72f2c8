package dev.hfwebhooks.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small tmpfs mounted for one test, to fill its disk or remove its folders while a server uses
 * them. Mounting needs root (CI runs as root); elsewhere the test is skipped, saying why.
 */
public final class Tmpfs implements AutoCloseable {
  private final Path dir;

  private Tmpfs(Path dir) {
    this.dir = dir;
  }

  /** Mounts a tmpfs of {@code megabytes} on {@code dir}, or skips the test when it cannot. */
  public static Tmpfs mount(Path dir, int megabytes) throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "needs root to mount a tmpfs (the disk-fault tests run as root in CI)");
    String failed =
        Commands.run("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", dir);
    assumeTrue(failed == null, "cannot mount a tmpfs on " + dir + ": " + failed);
    return new Tmpfs(dir);
  }

  public Path dir() {
    return dir;
  }

  /**
   * Fills the disk with {@code filler}, written until it finds no more room; deleting it gives the
   * room back.
   */
  public static void fill(Path filler) throws IOException {
    byte[] chunk = new byte[64 << 10];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException e) {
      if (!e.getMessage().contains("No space left")) {
        throw e;
      }
    }
  }

  @Override
  public void close() throws Exception {
    String failed = Commands.run("umount", "-l", dir.toString());
    if (failed != null) {
      throw new IllegalStateException("cannot unmount " + dir + ": " + failed);
    }
  }
}
