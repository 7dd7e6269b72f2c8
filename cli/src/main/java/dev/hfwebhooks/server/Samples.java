package dev.hfwebhooks.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * The sample events the console offers to send: the repository's {@code payloads/}, shipped in the
 * jar under {@code /payloads}. Listed by name rather than found by scanning the classpath, which a
 * jar cannot list cheaply, and so that only these files can be asked for.
 */
final class Samples {
  private Samples() {}

  /**
   * One sample event.
   *
   * @param file its file name under {@code /payloads}
   * @param label what the console's menu shows
   */
  record Sample(String file, String label) {}

  static final List<Sample> ALL =
      List.of(
          new Sample("model-repo-content-update.json", "Push to a model"),
          new Sample("dataset-repo-content-update.json", "Dataset update"),
          new Sample("discussion-create-pull-request.json", "New pull request"),
          new Sample("discussion-comment-create.json", "New comment"),
          new Sample("repo-create.json", "Repo created"),
          new Sample("repo-delete.json", "Repo deleted"));

  /** The bytes of the sample named {@code file}, or empty for any other name. */
  static Optional<byte[]> read(String file) {
    if (ALL.stream().noneMatch(s -> s.file().equals(file))) {
      return Optional.empty();
    }
    try (InputStream in = Samples.class.getResourceAsStream("/payloads/" + file)) {
      if (in == null) {
        throw new IllegalStateException("the build ships /payloads/" + file);
      }
      return Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
