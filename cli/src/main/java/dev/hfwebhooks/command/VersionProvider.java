package dev.hfwebhooks.command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.IVersionProvider;

/** The version and git commit the build wrote into {@code hf-webhooks-version.properties}. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() throws IOException {
    Properties properties = new Properties();
    try (InputStream in =
        VersionProvider.class.getResourceAsStream("/hf-webhooks-version.properties")) {
      if (in != null) {
        properties.load(in);
      }
    }
    return new String[] {
      describe(properties),
      "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
    };
  }

  /** The first line of {@code --version}: "hf-webhooks 0.1.0 (commit 1a2b3c4)". */
  static String describe(Properties build) {
    String commit = filtered(build, "commit");
    String state =
        commit == null
            ? "commit unknown"
            : "commit " + commit + ("true".equals(filtered(build, "dirty")) ? ", modified" : "");
    return "hf-webhooks "
        + firstNonNull(filtered(build, "version"), "unknown")
        + " ("
        + state
        + ")";
  }

  /**
   * A value the build filled in, or null: should the property be left unset, Maven leaves the
   * {@code ${...}} placeholder in the file.
   */
  private static @Nullable String filtered(Properties build, String key) {
    String value = build.getProperty(key, "").strip();
    return value.isEmpty() || value.startsWith("${") ? null : value;
  }

  private static String firstNonNull(@Nullable String value, String fallback) {
    return value != null ? value : fallback;
  }
}
