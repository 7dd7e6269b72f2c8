package dev.hfwebhooks.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The console's stylesheet and script, classpath resources under {@code /console}, read once: the
 * page needs nothing from outside the program, so it works offline and loads no third-party code.
 */
final class Assets {
  private Assets() {}

  /**
   * One served file.
   *
   * @param contentType its Content-Type
   * @param bytes its content
   */
  @SuppressWarnings("ArrayRecordComponent") // bytes carried, never compared by equals
  record Asset(String contentType, byte[] bytes) {}

  private static final Map<String, Asset> ALL =
      Map.of(
          "console.css", load("console.css", "text/css; charset=utf-8"),
          "console.js", load("console.js", "text/javascript; charset=utf-8"));

  static Optional<Asset> find(String name) {
    return Optional.ofNullable(ALL.get(name));
  }

  private static Asset load(String name, String contentType) {
    try (InputStream in = Assets.class.getResourceAsStream("/console/" + name)) {
      if (in == null) {
        throw new IllegalStateException("the build ships /console/" + name);
      }
      return new Asset(contentType, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
