package dev.hfwebhooks.handler;

import dev.hfwebhooks.payload.WebhookPayload;
import java.util.Map;

/**
 * The {@code WEBHOOK_*} variables HF Jobs gives a job started by a webhook, which every handler
 * gets: process handlers in their environment, Python handlers in {@code os.environ} during the
 * call. The payload itself ({@code WEBHOOK_PAYLOAD}) is left to each, since each passes it its own
 * way.
 */
public final class WebhookEnv {
  private WebhookEnv() {}

  public static Map<String, String> of(Delivery delivery, String handler) {
    WebhookPayload payload = delivery.payload();
    return Map.of(
        "WEBHOOK_REPO_ID", payload.repo().name(),
        "WEBHOOK_REPO_TYPE", payload.repo().type(),
        "WEBHOOK_EVENT_ACTION", payload.event().action(),
        "WEBHOOK_EVENT_SCOPE", payload.event().scope(),
        "WEBHOOK_NAME", handler,
        "WEBHOOK_DELIVERY_ID", delivery.id());
  }
}
