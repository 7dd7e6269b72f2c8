package dev.hfwebhooks.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A Hugging Face access token, found where huggingface_hub looks: {@code HF_TOKEN} (or the older
 * {@code HUGGING_FACE_HUB_TOKEN}), else the file {@code huggingface-cli login} writes, {@code
 * $HF_TOKEN_PATH} or {@code $HF_HOME/token} ({@code HF_HOME} defaulting to {@code
 * $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface}). Its value never reaches any
 * output: {@link #toString} names only where it came from.
 *
 * @param value the token, sent as {@code Authorization: Bearer <value>}
 * @param source where it was found, for messages ("HF_TOKEN", or the file's path)
 */
public record HubToken(String value, String source) {

  /** How to get a token, for the message shown when there is none. */
  public static final String HOW_TO_GET_ONE =
      "create one with write access at https://huggingface.co/settings/tokens, then run"
          + " `huggingface-cli login` (or `hf auth login`), or set HF_TOKEN";

  /**
   * The variables that may hold a token, in the order huggingface_hub reads them; nothing that does
   * not talk to the Hub for the user should see them (the tunnel client does not).
   */
  public static final List<String> VARIABLES = List.of("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN");

  /** Finds the token; empty when there is none (an empty variable or file counts as none). */
  public static Optional<HubToken> find(Map<String, String> env) throws HubException {
    for (String name : VARIABLES) {
      String value = clean(env.get(name));
      if (value != null) {
        return Optional.of(new HubToken(value, name));
      }
    }
    Path file = tokenFile(env);
    try {
      String value = clean(Files.readString(file));
      return value == null ? Optional.empty() : Optional.of(new HubToken(value, file.toString()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new HubException(
          HubException.Kind.NO_TOKEN, "cannot read the token file " + file + ": " + e.getMessage());
    }
  }

  /** Finds the token, or fails with a message that says how to get one. */
  public static HubToken require(Map<String, String> env) throws HubException {
    return find(env)
        .orElseThrow(
            () ->
                new HubException(
                    HubException.Kind.NO_TOKEN,
                    "no Hugging Face token (looked in HF_TOKEN and "
                        + tokenFile(env)
                        + "): "
                        + HOW_TO_GET_ONE));
  }

  /** Where {@code huggingface-cli login} keeps the token for this environment. */
  static Path tokenFile(Map<String, String> env) {
    String explicit = env.get("HF_TOKEN_PATH");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String hfHome = env.get("HF_HOME");
    if (hfHome == null || hfHome.isBlank()) {
      String cache = env.get("XDG_CACHE_HOME");
      if (cache == null || cache.isBlank()) {
        String home = env.get("HOME");
        cache =
            Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"))
                .resolve(".cache")
                .toString();
      }
      hfHome = Path.of(cache, "huggingface").toString();
    }
    return Path.of(hfHome, "token");
  }

  /** As huggingface_hub cleans it: line breaks and surrounding blanks go; nothing left is none. */
  private static @Nullable String clean(@Nullable String token) {
    if (token == null) {
      return null;
    }
    String cleaned = token.replace("\r", "").replace("\n", "").strip();
    return cleaned.isEmpty() ? null : cleaned;
  }

  @Override
  public String toString() {
    return "HubToken[from " + source + "]";
  }
}
