package dev.hfwebhooks.hub;

import dev.hfwebhooks.handler.Watch;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A webhook as the Hub lists it: the fields of huggingface_hub's {@code WebhookInfo} that matter
 * here (a webhook that starts a Job instead of posting to a URL has a null {@code url}).
 *
 * @param id the Hub's id, for updating or deleting it
 * @param url where it posts, or null for a Job webhook
 * @param watched what it watches
 * @param domains the event domains, as the Hub spells them
 * @param secret its secret, or null for none (or when the Hub did not say)
 * @param secretShown whether the Hub's answer carried the secret field at all; when it did not, the
 *     secret cannot be compared and is left as it is
 * @param disabled null when enabled; else why not ({@code disabled}, or the Hub's reason such as
 *     {@code suspended-after-failure})
 */
public record HubWebhook(
    String id,
    @Nullable String url,
    List<Watch.Item> watched,
    List<String> domains,
    @Nullable String secret,
    boolean secretShown,
    @Nullable String disabled) {

  public HubWebhook {
    watched = List.copyOf(watched);
    domains = List.copyOf(domains);
  }

  public boolean enabled() {
    return disabled == null;
  }

  @Override
  public String toString() {
    return "HubWebhook[id=%s, url=%s, watched=%s, domains=%s, secret=%s, disabled=%s]"
        .formatted(
            id,
            url,
            watched,
            domains,
            !secretShown ? "not shown" : secret != null ? "set" : "none",
            disabled);
  }
}
