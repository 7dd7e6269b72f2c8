package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.hub.HubClient;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.WebhookSpec;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What {@code hub list}, {@code hub sync} and {@code serve --register} share. */
final class HubSetup {
  private HubSetup() {}

  /** A client for the Hub and token the environment gives; none is a usage error. */
  static HubClient connect(Map<String, String> env) {
    try {
      return HubClient.connect(env);
    } catch (HubException e) {
      throw error(e);
    }
  }

  /** The Hub's one-line error with its exit code: 2 when the user can fix it, else 1. */
  static UserError error(HubException e) {
    return e.kind().userCanFix()
        ? UserError.usage(e.getMessage(), e)
        : UserError.failure(e.getMessage(), e);
  }

  /** The directives of every handler; a malformed one is a usage error naming file and line. */
  static List<Directives.Declared> directives(HandlerScan scan) {
    List<Directives.Declared> declared = scan.handlers().stream().map(Directives::read).toList();
    List<String> problems =
        declared.stream()
            .flatMap(d -> d.problem().stream())
            .map(Directives.Problem::message)
            .toList();
    if (!problems.isEmpty()) {
      throw UserError.usage(String.join("\nerror: ", problems));
    }
    return declared;
  }

  /** One spec per handler that declares {@code @watch}, posting under {@code baseUrl}. */
  static List<WebhookSpec> specs(
      List<Directives.Declared> declared, String baseUrl, @Nullable String secret) {
    List<WebhookSpec> specs = new ArrayList<>();
    for (Directives.Declared d : declared) {
      d.watch()
          .ifPresent(
              w -> specs.add(WebhookSpec.of(baseUrl, d.file().name(), d.file().path(), w, secret)));
    }
    return specs;
  }

  /**
   * {@code url} as a base URL (no trailing slash), or a usage error naming {@code option}: the Hub
   * posts to it from the internet, so it must be an http(s) URL with a host.
   */
  static String baseUrl(String url, String option) {
    String base = url.strip().replaceAll("/+$", "");
    URI uri;
    try {
      uri = URI.create(base);
    } catch (IllegalArgumentException e) {
      throw UserError.usage(option + " \"" + url + "\" is not a URL: " + e.getMessage());
    }
    if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
        || uri.getHost() == null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw UserError.usage(
          option
              + " \""
              + url
              + "\" is not a base URL: give the server's public address, such as"
              + " https://my-webhooks.hf.space");
    }
    if (base.endsWith("/webhooks")) {
      throw UserError.usage(
          option
              + " is the base URL, without /webhooks: the webhook of handler NAME goes to"
              + " URL/webhooks/NAME");
    }
    return base;
  }
}
