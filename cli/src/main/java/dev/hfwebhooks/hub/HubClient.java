package dev.hfwebhooks.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.handler.Watch;
import dev.hfwebhooks.payload.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The Hub's webhook settings API, called the way huggingface_hub's {@code list_webhooks}, {@code
 * create_webhook}, {@code update_webhook} and {@code delete_webhook} call it: {@code GET}, {@code
 * POST /api/settings/webhooks}, {@code POST} and {@code DELETE /api/settings/webhooks/{id}}. Every
 * failure is a {@link HubException} whose message is one line that never contains the token.
 */
public final class HubClient implements AutoCloseable {
  public static final String DEFAULT_ENDPOINT = HubHttp.DEFAULT_ENDPOINT;

  /** Where the user sees and edits their webhooks. */
  public static final String SETTINGS_URL = "https://huggingface.co/settings/webhooks";

  private static final String WEBHOOKS = "/api/settings/webhooks";

  private final HubHttp http;

  public HubClient(String endpoint, HubToken token) {
    this(new HubHttp(endpoint, token));
  }

  /** The webhook settings of the Hub and token {@code http} talks to; closing closes it. */
  public HubClient(HubHttp http) {
    this.http = http;
  }

  /** A client for the endpoint and token that {@code env} gives, as huggingface_hub finds them. */
  public static HubClient connect(Map<String, String> env) throws HubException {
    return new HubClient(HubHttp.connect(env));
  }

  /** {@code HF_ENDPOINT} without its trailing slash, or the public Hub. */
  public static String endpoint(Map<String, String> env) throws HubException {
    return HubHttp.endpoint(env);
  }

  public String endpoint() {
    return http.endpoint();
  }

  /** Where the token came from ("HF_TOKEN", a file), for messages. */
  public String tokenSource() {
    return http.tokenSource();
  }

  /** The user's webhooks, as {@code GET /api/settings/webhooks} lists them. */
  public List<HubWebhook> list() throws HubException {
    String what = "list your webhooks";
    JsonNode answer = send("GET", WEBHOOKS, null, what, null);
    if (!answer.isArray()) {
      throw http.unexpected(what, "a JSON array", answer);
    }
    List<HubWebhook> webhooks = new ArrayList<>();
    for (JsonNode item : answer) {
      webhooks.add(webhook(item, what));
    }
    return webhooks;
  }

  /** Creates the webhook {@code spec} describes; the Hub answers {@code {"webhook": {...}}}. */
  public HubWebhook create(WebhookSpec spec) throws HubException {
    String what = "create the webhook of " + spec.handler();
    return webhook(send("POST", WEBHOOKS, body(spec, null), what, spec).path("webhook"), what);
  }

  /**
   * Makes webhook {@code current} what {@code spec} describes. Like huggingface_hub's {@code
   * update_webhook}, it sends watched, url, domains and secret; when the spec leaves the secret as
   * it is, the current one is sent back (or, when the Hub did not show it, none is sent).
   */
  public HubWebhook update(HubWebhook current, WebhookSpec spec) throws HubException {
    String what = "update the webhook of " + spec.handler();
    String path = WEBHOOKS + "/" + HubHttp.encode(current.id());
    return webhook(send("POST", path, body(spec, current), what, spec).path("webhook"), what);
  }

  /** Deletes webhook {@code id}; false when it was already gone. */
  public boolean delete(String id) throws HubException {
    String what = "delete webhook " + id;
    HubHttp.Answer answer =
        http.exchange("DELETE", WEBHOOKS + "/" + HubHttp.encode(id), null, null, what);
    if (answer.ok()) {
      return true;
    }
    if (answer.status() == 404) {
      return false; // gone already, which is what deleting wanted
    }
    throw http.failure(answer, what);
  }

  /** The JSON huggingface_hub sends: watched, url, domains, secret. */
  private static ObjectNode body(WebhookSpec spec, @Nullable HubWebhook current) {
    ObjectNode body = Json.object();
    ArrayNode watched = body.putArray("watched");
    spec.watch()
        .items()
        .forEach(i -> watched.addObject().put("type", i.type()).put("name", i.name()));
    body.put("url", spec.url());
    ArrayNode domains = body.putArray("domains");
    spec.watch().domains().forEach(domains::add);
    if (spec.managesSecret()) {
      body.put("secret", spec.secretValue());
    } else if (current == null) {
      body.putNull("secret"); // a new webhook without one, as create_webhook sends it
    } else if (current.secretShown()) {
      body.put("secret", current.secret());
    }
    return body;
  }

  /** The answer's JSON (missing when empty). */
  private JsonNode send(
      String method, String path, @Nullable JsonNode body, String what, @Nullable WebhookSpec spec)
      throws HubException {
    HubHttp.Answer answer =
        http.exchange(
            method,
            path,
            "application/json",
            body == null ? null : Json.write(body).getBytes(StandardCharsets.UTF_8),
            what);
    if (answer.ok()) {
      return http.parse(answer, what);
    }
    throw failure(answer, what, spec);
  }

  /** The Hub's failure, naming the handler's directives where they are what to fix. */
  private HubException failure(HubHttp.Answer answer, String what, @Nullable WebhookSpec spec) {
    if (spec == null) {
      return http.failure(answer, what);
    }
    String said = answer.status() + (http.said(answer).isEmpty() ? "" : ": " + http.said(answer));
    return switch (answer.status()) {
      case 404 ->
          new HubException(
              HubException.Kind.UNKNOWN_REPO,
              "the Hub cannot %s: it knows no repository, user or org among %s (%s); fix the"
                      .formatted(what, watched(spec), said)
                  + " @watch line of "
                  + spec.file());
      case 400, 409, 422 ->
          new HubException(
              HubException.Kind.REFUSED,
              "the Hub refused to %s (%s); check the directives of %s"
                  .formatted(what, said, spec.file()));
      default -> http.failure(answer, what);
    };
  }

  private static String watched(WebhookSpec spec) {
    return spec.watch().items().stream()
        .map(Watch.Item::toString)
        .collect(Collectors.joining(", "));
  }

  private HubWebhook webhook(JsonNode node, String what) throws HubException {
    if (!node.isObject() || !node.path("id").isTextual()) {
      throw http.unexpected(what, "a webhook with an id", node);
    }
    List<Watch.Item> watched = new ArrayList<>();
    for (JsonNode item : node.path("watched")) {
      watched.add(new Watch.Item(item.path("type").asText(""), item.path("name").asText("")));
    }
    List<String> domains = new ArrayList<>();
    node.path("domains").forEach(d -> domains.add(d.asText()));
    JsonNode secret = node.get("secret");
    JsonNode disabled = node.path("disabled");
    // The Hub says false, true, or why it stopped the webhook ("suspended-after-failure").
    String why =
        disabled.isTextual() ? disabled.asText() : disabled.asBoolean(false) ? "disabled" : null;
    return new HubWebhook(
        node.path("id").asText(),
        node.path("url").isTextual() ? node.path("url").asText() : null,
        watched,
        domains,
        secret != null && secret.isTextual() ? secret.asText() : null,
        secret != null,
        why);
  }

  @Override
  public void close() {
    http.close();
  }
}
