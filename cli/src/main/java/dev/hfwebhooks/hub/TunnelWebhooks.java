package dev.hfwebhooks.hub;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * The webhooks that post to a tunnel's address the way hf-webhooks registers them: {@code
 * https://HOST/webhooks/NAME}, HOST under a domain where a tunnel service gives out addresses.
 * {@code serve --tunnel --register} deletes those it created when it stops; it cannot when it is
 * killed (SIGKILL, a laptop that dies), and its tunnel's address dies with it, so such a webhook
 * can only fail from then on. {@code hub delete --all-tunnel} finds them here.
 */
public final class TunnelWebhooks {
  /**
   * The domains of the clients the README names: ngrok (its free and paid domains), cloudflared's
   * quick tunnels, localtunnel. A stable address of one's own (a Space, {@code --public-url}) is
   * never under them.
   */
  static final List<String> DOMAINS =
      List.of(
          "ngrok-free.app",
          "ngrok-free.dev",
          "ngrok.app",
          "ngrok.dev",
          "ngrok.io",
          "trycloudflare.com",
          "loca.lt");

  private TunnelWebhooks() {}

  /** Whether {@code webhook} posts to a tunnel's address, under {@code /webhooks/}. */
  public static boolean postsToATunnel(HubWebhook webhook) {
    String url = webhook.url();
    if (url == null) {
      return false; // a webhook that starts a Job
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return false; // not one hf-webhooks registered: it registers only URLs it built
    }
    String host = uri.getHost();
    String path = uri.getRawPath();
    if (!"https".equalsIgnoreCase(uri.getScheme())
        || host == null
        || path == null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || !path.startsWith("/webhooks/")
        || path.length() == "/webhooks/".length()) {
      return false;
    }
    String lower = host.toLowerCase(Locale.ROOT);
    // A subdomain of one of them: the domain alone is the service's own site, not a tunnel.
    return DOMAINS.stream().anyMatch(domain -> lower.endsWith("." + domain));
  }

  /** Those of {@code webhooks} that post to a tunnel's address, in the Hub's order. */
  public static List<HubWebhook> in(List<HubWebhook> webhooks) {
    return webhooks.stream().filter(TunnelWebhooks::postsToATunnel).toList();
  }
}
