package dev.hfwebhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.hfwebhooks.testing.BareShell;
import dev.hfwebhooks.testing.BareShell.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unpacks the release archives JReleaser assembled during package (jreleaser.yml) and runs them as
 * a user would: the standalone one on a machine with no Java at all, the other one through its
 * install.sh with an older java first on PATH.
 */
class ReleaseArchiveIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Path ASSEMBLED = Path.of("target/jreleaser/assemble").toAbsolutePath();

  /** A PATH of links to the system's programs minus Java's (in target/: see noJavaPath). */
  private static final Path NO_JAVA = Path.of("target/it-path-without-java").toAbsolutePath();

  @TempDir static Path home;

  @BeforeAll
  static void archivesWereAssembled() throws IOException {
    // -Djreleaser.skip builds without the archives (cli/pom.xml passes it on); otherwise a missing
    // archive is a failure, never a silent pass.
    assumeThat(Boolean.getBoolean("releaseArchives.skipped")).as("-Djreleaser.skip").isFalse();
    assertThat(ASSEMBLED).isDirectory();
    noJavaPath(NO_JAVA);
  }

  /**
   * Fills {@code bin} with links to every program of /usr/bin and /bin except those of an installed
   * JDK, so that a PATH of {@code bin} alone is an ordinary system without Java. It lives in
   * target/ rather than a @TempDir, whose clean-up warns about each of the thousand links it
   * deletes.
   */
  static void noJavaPath(Path bin) throws IOException {
    if (Files.exists(bin)) {
      try (Stream<Path> old = Files.walk(bin)) {
        for (Path path : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(path); // a link itself, never what it points to
        }
      }
    }
    Files.createDirectories(bin);
    for (Path dir : List.of(Path.of("/usr/bin"), Path.of("/bin"))) {
      try (Stream<Path> programs = Files.list(dir)) {
        for (Path program : (Iterable<Path>) programs::iterator) {
          Path link = bin.resolve(program.getFileName());
          if (Files.exists(link) || !Files.isExecutable(program)) {
            continue;
          }
          if (!program.toRealPath().startsWith("/usr/lib/jvm")) {
            Files.createSymbolicLink(link, program);
          }
        }
      }
    }
  }

  static Path archive(String distribution, String pattern) throws IOException {
    try (Stream<Path> files = Files.list(ASSEMBLED.resolve(distribution))) {
      List<Path> found =
          files
              .filter(
                  f -> f.getFileSystem().getPathMatcher("glob:" + pattern).matches(f.getFileName()))
              .toList();
      assertThat(found).as("%s archive %s in %s", distribution, pattern, ASSEMBLED).hasSize(1);
      return found.getFirst();
    }
  }

  /** Unpacks a .tgz with tar, which keeps the execute bits, and returns its one top folder. */
  static Path untar(Path archive, Path into) throws IOException {
    BareShell shell = BareShell.in(into, home, "/usr/bin:/bin");
    Result tar = shell.run("tar", "-xzf", archive.toString());
    assertThat(tar.exit()).as(tar.all()).isZero();
    try (Stream<Path> top = Files.list(into)) {
      List<Path> folders = top.toList();
      assertThat(folders).hasSize(1);
      return folders.getFirst();
    }
  }

  @Test
  void theStandaloneArchiveRunsWhereNoJavaIsInstalled(@TempDir Path unpacked) throws Exception {
    Path image = untar(archive("hf-webhooks-standalone/jlink", "*-linux-x86_64.tgz"), unpacked);
    BareShell bare = BareShell.in(REPO, home, NO_JAVA.toString());
    String launcher = image.resolve("bin/hf-webhooks").toString();

    Result whichJava = bare.run("sh", "-c", "command -v java");
    Result version = bare.run(launcher, "--version");
    Result list = bare.run(launcher, "list");
    Result test = bare.run(launcher, "test", "payloads/model-repo-content-update.json");

    assertThat(whichJava.exit()).as("no java on PATH: " + whichJava.out()).isNotZero();
    assertThat(version.exit()).as(version.all()).isZero();
    assertThat(version.out()).startsWith("hf-webhooks 0.").contains("(commit ");
    assertThat(list.exit()).as(list.all()).isZero();
    assertThat(list.out()).contains("push-to-main").contains("new-pull-request");
    // The JavaScript handler runs too: GraalVM finds what it needs in the trimmed runtime.
    assertThat(test.exit()).as(test.all()).isZero();
    assertThat(test.out()).contains("1 of 3 handlers succeeded; 2 filtered.");
    // No JVM warning banner: the launcher passes the options the runtime asks for.
    assertThat(version.err() + list.err() + test.err()).isEmpty();
  }

  @Test
  void theStandaloneArchiveInstallsAndUninstallsWithItsOwnScript(
      @TempDir Path unpacked, @TempDir Path prefix) throws Exception {
    Path image = untar(archive("hf-webhooks-standalone/jlink", "*-linux-x86_64.tgz"), unpacked);
    BareShell bare = BareShell.in(REPO, home, NO_JAVA.toString()).with("PREFIX", prefix.toString());

    Result install = bare.run(image.resolve("install.sh").toString());
    Result version = bare.run(prefix.resolve("bin/hf-webhooks").toString(), "--version");
    Result uninstall =
        bare.run(prefix.resolve("share/hf-webhooks/install.sh").toString(), "--uninstall");

    assertThat(install.exit()).as(install.all()).isZero();
    assertThat(install.out()).contains("runs on its own Java runtime");
    assertThat(version.exit()).as(version.all()).isZero();
    assertThat(version.err()).isEmpty();
    assertThat(uninstall.exit()).as(uninstall.all()).isZero();
    assertThat(prefix).isEmptyDirectory();
  }

  @Test
  void theJavaArchiveInstallsAndRunsOnAJava21OrNewerItFinds(
      @TempDir Path unpacked, @TempDir Path prefix) throws Exception {
    Path app = untar(archive("hf-webhooks/java-archive", "hf-webhooks-*.tgz"), unpacked);
    // /usr/bin's java may be older than 21 (17 on the CI machine): the launcher looks further.
    BareShell bare = BareShell.in(REPO, home, "/usr/bin:/bin").with("PREFIX", prefix.toString());

    Result install = bare.run(app.resolve("install.sh").toString());
    Result version = bare.run(prefix.resolve("bin/hf-webhooks").toString(), "--version");
    Result list = bare.run(prefix.resolve("bin/hf-webhooks").toString(), "list");

    assertThat(Files.isExecutable(app.resolve("bin/hf-webhooks"))).isTrue();
    assertThat(app.resolve("lib/find-java.sh")).exists();
    assertThat(install.exit()).as(install.all()).isZero();
    assertThat(install.out()).containsPattern("runs on Java (2[1-9]|[3-9][0-9])");
    assertThat(version.exit()).as(version.all()).isZero();
    assertThat(list.exit()).as(list.all()).isZero();
    assertThat(version.err() + list.err()).isEmpty();
  }

  @Test
  void everyArchiveCarriesTheLicense(@TempDir Path java, @TempDir Path standalone)
      throws Exception {
    // Apache-2.0 asks that whoever redistributes the program hands on a copy of the license.
    String license = Files.readString(REPO.resolve("LICENSE"));
    Path app = untar(archive("hf-webhooks/java-archive", "hf-webhooks-*.tgz"), java);
    Path image = untar(archive("hf-webhooks-standalone/jlink", "*-linux-x86_64.tgz"), standalone);

    assertThat(license).contains("Apache License", "Version 2.0, January 2004");
    assertThat(app.resolve("LICENSE")).hasContent(license);
    assertThat(image.resolve("LICENSE")).hasContent(license);
  }

  @Test
  void theJavaArchiveZipHoldsWhatTheTgzHolds(@TempDir Path unpacked) throws Exception {
    Path app = untar(archive("hf-webhooks/java-archive", "hf-webhooks-*.tgz"), unpacked);
    List<String> fromTgz;
    try (Stream<Path> files = Files.walk(app)) {
      fromTgz =
          files
              .filter(Files::isRegularFile)
              .map(f -> app.getFileName() + "/" + app.relativize(f))
              .toList();
    }
    List<String> fromZip;
    try (ZipFile zip =
        new ZipFile(archive("hf-webhooks/java-archive", "hf-webhooks-*.zip").toFile())) {
      fromZip = zip.stream().filter(e -> !e.isDirectory()).map(ZipEntry::getName).toList();
    }

    assertThat(fromZip)
        .containsExactlyInAnyOrderElementsOf(fromTgz)
        .contains(app.getFileName() + "/bin/hf-webhooks", app.getFileName() + "/install.sh");
  }
}
