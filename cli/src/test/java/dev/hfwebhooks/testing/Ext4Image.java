package dev.hfwebhooks.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small ext4 file system in a file, mounted on a loop device for one test with {@code
 * errors=remount-ro}, to turn read-only under a server that holds files open for writing: what a
 * disk error does. Linux refuses {@code mount -o remount,ro} while files are open for writing, so a
 * tmpfs cannot be made read-only under a running server; an ext4 error can ({@code
 * trigger_fs_error}, the kernel's own switch for testing this). Needs root and loop devices;
 * elsewhere the test is skipped, saying why.
 */
public final class Ext4Image implements AutoCloseable {
  private final Path image;
  private final Path dir;

  private Ext4Image(Path image, Path dir) {
    this.image = image;
    this.dir = dir;
  }

  /** Makes an image of {@code megabytes} at {@code image} and mounts it on {@code dir}. */
  public static Ext4Image mount(Path image, Path dir, int megabytes) throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "needs root to mount a loop device (the disk-fault tests run as root in CI)");
    Files.createDirectories(dir);
    String failed = Commands.run("truncate", "-s", megabytes + "M", image);
    failed = failed != null ? failed : Commands.run("mkfs.ext4", "-q", "-F", image);
    assumeTrue(failed == null, "cannot make an ext4 image: " + failed);
    failed = Commands.run("mount", "-o", "loop,errors=remount-ro", image, dir);
    assumeTrue(failed == null, "cannot mount an ext4 image on a loop device: " + failed);
    return new Ext4Image(image, dir);
  }

  /** Writes what the file system has in memory to its disk ({@code sync -f}). */
  public void flush() throws Exception {
    Commands.output("sync", "-f", dir);
  }

  /** Makes the file system read-only, as an error found on its disk would. */
  public void failToReadOnly() throws Exception {
    String device = Commands.output("findmnt", "-n", "-o", "SOURCE", dir);
    Files.writeString(
        Path.of("/sys/fs/ext4", Path.of(device).getFileName().toString(), "trigger_fs_error"), "1");
  }

  /** Unmounts, repairs (e2fsck) and mounts the file system again, writable. */
  public void remount() throws Exception {
    String failed = Commands.run("umount", dir);
    failed = failed != null ? failed : Commands.exitAtMost(1, "e2fsck", "-fy", image);
    failed = failed != null ? failed : Commands.run("mount", "-o", "loop", image, dir);
    if (failed != null) {
      throw new IllegalStateException("cannot mount " + image + " again: " + failed);
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
