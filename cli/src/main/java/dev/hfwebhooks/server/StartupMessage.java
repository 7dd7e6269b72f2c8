package dev.hfwebhooks.server;

import dev.hfwebhooks.handler.HandlerFile;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@code serve} prints once listening: the same lines huggingface_hub's server prints, so
 * guides written for it read the same here.
 */
public final class StartupMessage {
  static final String SETTINGS_URL = "https://huggingface.co/settings/webhooks";

  private StartupMessage() {}

  /** Everything at once: when the public URL (if any) is known at start. */
  public static List<String> lines(
      String localUrl, String publicUrl, boolean hasSecret, List<HandlerFile> handlers) {
    List<String> lines = new ArrayList<>(head(localUrl, hasSecret));
    lines.addAll(webhooks(localUrl, publicUrl, handlers));
    return lines;
  }

  /** The secret warning and the local URL: what can be said as soon as the server listens. */
  public static List<String> head(String localUrl, boolean hasSecret) {
    List<String> lines = new ArrayList<>();
    if (!hasSecret) {
      lines.add(
          "Webhook secret is not defined. This means your webhook endpoints will be open to"
              + " everyone.");
      lines.add(
          "To add a secret, set `WEBHOOK_SECRET` as environment variable or pass `--secret`:");
      lines.add("\t`hf-webhooks serve --secret ...`");
      lines.add(
          "For more details about webhook secrets, please refer to"
              + " https://huggingface.co/docs/hub/webhooks#webhook-secret.");
    }
    lines.add("Running on local URL: " + localUrl);
    return lines;
  }

  /**
   * The public URL when there is one, then each webhook's URL to register: printed later than
   * {@link #head} when a tunnel has to open first.
   */
  public static List<String> webhooks(
      String localUrl, @Nullable String publicUrl, List<HandlerFile> handlers) {
    List<String> lines = new ArrayList<>();
    if (publicUrl != null) {
      lines.add("Running on public URL: " + publicUrl);
    }
    String base = publicUrl != null ? publicUrl : localUrl;
    lines.add("");
    lines.add("Webhooks are correctly setup and ready to use:");
    handlers.forEach(h -> lines.add("  - POST " + base + h.route()));
    lines.add("Go to " + SETTINGS_URL + " to setup your webhooks.");
    return lines;
  }
}
