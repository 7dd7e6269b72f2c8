package dev.hfwebhooks.deploy;

import dev.hfwebhooks.hub.SpaceId;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The webhook secret of each Space this user deployed, so that deploying again keeps it: the Hub
 * never shows a Space secret back. One file per Space, readable by this user only, under {@code
 * $XDG_CONFIG_HOME/hf-webhooks/spaces/<hub host>/<owner>/<name>.secret} ({@code ~/.config} when
 * unset).
 */
public final class SecretStore {
  private final Path root;

  public SecretStore(Path root) {
    this.root = root;
  }

  /** The store for this environment's user. */
  public static SecretStore of(Map<String, String> env) {
    String config = env.get("XDG_CONFIG_HOME");
    Path base;
    if (config != null && !config.isBlank()) {
      base = Path.of(config);
    } else {
      String home = env.get("HOME");
      base =
          Path.of(
              home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".config");
    }
    return new SecretStore(base.resolve("hf-webhooks").resolve("spaces"));
  }

  private Path file(String endpoint, SpaceId space) {
    String host = URI.create(endpoint).getHost();
    return root.resolve(host).resolve(space.owner()).resolve(space.name() + ".secret");
  }

  /** Where the secret of {@code space} is kept, for messages. */
  public Path where(String endpoint, SpaceId space) {
    return file(endpoint, space);
  }

  public Optional<String> recall(String endpoint, SpaceId space) throws IOException {
    try {
      String value = Files.readString(file(endpoint, space)).strip();
      return value.isEmpty() ? Optional.empty() : Optional.of(value);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** Keeps {@code secret}, replacing the file whole so that a crash never leaves half of one. */
  public void remember(String endpoint, SpaceId space, String secret) throws IOException {
    Path file = file(endpoint, space);
    Files.createDirectories(file.getParent());
    Path temp =
        Files.createTempFile(
            file.getParent(),
            ".secret",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(temp, secret + "\n");
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
