package dev.hfwebhooks.hub;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A Space's id, {@code owner/name}, checked as the Hub checks repository names: letters, digits,
 * {@code -}, {@code _} and {@code .}, at most 96 characters, neither {@code --} nor {@code ..}, and
 * not starting or ending with {@code -} or {@code .}.
 */
public record SpaceId(String owner, String name) {
  private static final Pattern PART =
      Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?");

  public SpaceId {
    if (!valid(owner) || !valid(name)) {
      throw new IllegalArgumentException(
          "\""
              + owner
              + "/"
              + name
              + "\" is not a Space id: give OWNER/NAME, each of letters, digits, -, _ and . (such"
              + " as acme/hooks)");
    }
  }

  /** {@code owner/name}, or an {@link IllegalArgumentException} saying what a Space id is. */
  public static SpaceId parse(String id) {
    String text = id.strip();
    if (text.startsWith("spaces/")) {
      text = text.substring("spaces/".length()); // as the Hub's own URLs write it
    }
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(
          "\"" + id + "\" is not a Space id: give OWNER/NAME, such as acme/hooks");
    }
    return new SpaceId(text.substring(0, slash), text.substring(slash + 1));
  }

  private static boolean valid(String part) {
    return PART.matcher(part).matches() && !part.contains("--") && !part.contains("..");
  }

  /** The API path of this Space: {@code /api/spaces/owner/name}. */
  String apiPath() {
    return "/api/spaces/" + HubHttp.encode(owner) + "/" + HubHttp.encode(name);
  }

  /**
   * The host the Hub gives a Space when it does not say: lowercase {@code owner-name}, each {@code
   * .} and {@code _} a {@code -} ({@code user/tmp_test_space} is {@code
   * user-tmp-test-space.hf.space}).
   */
  public String defaultHost() {
    return (owner + "-" + name).toLowerCase(Locale.ROOT).replaceAll("[._]", "-") + ".hf.space";
  }

  /** The Space's page on the Hub. */
  public String pageUrl(String endpoint) {
    return endpoint + "/spaces/" + this;
  }

  @Override
  public String toString() {
    return owner + "/" + name;
  }
}
