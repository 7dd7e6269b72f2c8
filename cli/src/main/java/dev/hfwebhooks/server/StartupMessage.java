package dev.hfwebhooks.server;

import dev.hfwebhooks.handler.HandlerFile;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code serve} prints once listening: the same lines huggingface_hub's server prints, so
 * guides written for it read the same here.
 */
public final class StartupMessage {
  static final String SETTINGS_URL = "https://huggingface.co/settings/webhooks";

  private StartupMessage() {}

  public static List<String> lines(
      String localUrl, String publicUrl, boolean hasSecret, List<HandlerFile> handlers) {
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
