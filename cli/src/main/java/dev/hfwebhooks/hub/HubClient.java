package dev.hfwebhooks.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.handler.Watch;
import dev.hfwebhooks.payload.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;

/**
 * The Hub's webhook settings API, called the way huggingface_hub's {@code list_webhooks}, {@code
 * create_webhook}, {@code update_webhook} and {@code delete_webhook} call it: {@code GET}, {@code
 * POST /api/settings/webhooks}, {@code POST} and {@code DELETE /api/settings/webhooks/{id}}, with
 * {@code Authorization: Bearer <token>}. Every failure is a {@link HubException} whose message is
 * one line that never contains the token.
 */
public final class HubClient implements AutoCloseable {
  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

  /** Where the user sees and edits their webhooks. */
  public static final String SETTINGS_URL = "https://huggingface.co/settings/webhooks";

  /** Where a token is made, for messages. */
  public static final String TOKENS_URL = "https://huggingface.co/settings/tokens";

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private static final String WEBHOOKS = "/api/settings/webhooks";

  private final String endpoint;
  private final HubToken token;
  private final HttpClient http;
  private final String userAgent;

  public HubClient(String endpoint, HubToken token) {
    this.endpoint = endpoint;
    this.token = token;
    // Redirects are not followed (the default): a token must never be sent to another host.
    this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    String version = HubClient.class.getPackage().getImplementationVersion();
    this.userAgent = "hf-webhooks/" + (version != null ? version : "dev");
  }

  /** A client for the endpoint and token that {@code env} gives, as huggingface_hub finds them. */
  public static HubClient connect(Map<String, String> env) throws HubException {
    String endpoint = endpoint(env);
    return new HubClient(endpoint, HubToken.require(env));
  }

  /** {@code HF_ENDPOINT} without its trailing slash, or the public Hub. */
  public static String endpoint(Map<String, String> env) throws HubException {
    String value = env.get("HF_ENDPOINT");
    if (value == null || value.isBlank()) {
      return DEFAULT_ENDPOINT;
    }
    String endpoint = value.strip().replaceAll("/+$", "");
    try {
      URI uri = URI.create(endpoint);
      if ((!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
    } catch (IllegalArgumentException e) {
      throw new HubException(
          HubException.Kind.BAD_ENDPOINT,
          "HF_ENDPOINT \""
              + value
              + "\" is not an http(s) URL: unset it for "
              + DEFAULT_ENDPOINT
              + ", or give a URL such as https://hub.example.com");
    }
    return endpoint;
  }

  public String endpoint() {
    return endpoint;
  }

  /** Where the token came from ("HF_TOKEN", a file), for messages. */
  public String tokenSource() {
    return token.source();
  }

  /** The user's webhooks, as {@code GET /api/settings/webhooks} lists them. */
  public List<HubWebhook> list() throws HubException {
    String what = "list your webhooks";
    JsonNode answer = send("GET", WEBHOOKS, null, what, null);
    if (!answer.isArray()) {
      throw unexpected(what, "a JSON array", answer);
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
    String path = WEBHOOKS + "/" + encode(current.id());
    return webhook(send("POST", path, body(spec, current), what, spec).path("webhook"), what);
  }

  /** Deletes webhook {@code id}; false when it was already gone. */
  public boolean delete(String id) throws HubException {
    return send("DELETE", WEBHOOKS + "/" + encode(id), null, "delete webhook " + id, null) != null;
  }

  /** The JSON huggingface_hub sends: watched, url, domains, secret. */
  private static ObjectNode body(WebhookSpec spec, HubWebhook current) {
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

  /** The answer's JSON (missing when empty), or null for a DELETE of what is not there. */
  private JsonNode send(String method, String path, JsonNode body, String what, WebhookSpec spec)
      throws HubException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(endpoint + path))
            .timeout(REQUEST_TIMEOUT)
            .header("Authorization", "Bearer " + token.value())
            .header("Accept", "application/json")
            .header("User-Agent", userAgent);
    if (body != null) {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new HubException(
          HubException.Kind.UNREACHABLE,
          "the Hub at %s did not answer within %d s to %s: check your connection, or HF_ENDPOINT"
              .formatted(endpoint, REQUEST_TIMEOUT.toSeconds(), what),
          e);
    } catch (IOException e) {
      throw new HubException(
          HubException.Kind.UNREACHABLE,
          "cannot reach the Hub at %s to %s (%s): check your connection, or HF_ENDPOINT"
              .formatted(endpoint, what, reason(e)),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException(
          HubException.Kind.UNREACHABLE, "stopped while waiting for the Hub to " + what, e);
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      if (method.equals("DELETE") || response.body().isBlank()) {
        return Json.MAPPER.missingNode();
      }
      try {
        return Json.MAPPER.readTree(response.body());
      } catch (JsonProcessingException e) {
        throw new HubException(
            HubException.Kind.HUB_FAILED,
            "the Hub's answer to %s is not JSON: is HF_ENDPOINT (%s) a Hugging Face Hub?"
                .formatted(what, endpoint),
            e);
      }
    }
    if (status == 404 && method.equals("DELETE")) {
      return null; // gone already, which is what deleting wanted
    }
    throw failure(response, what, spec);
  }

  /** The one line that says what a failed answer means and what to do. */
  private HubException failure(HttpResponse<String> response, String what, WebhookSpec spec) {
    int status = response.statusCode();
    String said = serverMessage(response);
    String answer = status + (said.isEmpty() ? "" : ": " + said);
    return switch (status) {
      case 401 ->
          new HubException(
              HubException.Kind.BAD_TOKEN,
              "the Hub refused the token from %s (%s): it is wrong, expired or revoked; %s"
                  .formatted(token.source(), answer, HubToken.HOW_TO_GET_ONE));
      case 403 ->
          new HubException(
              HubException.Kind.FORBIDDEN,
              "the token from %s may not %s (%s): use a token with write access (%s)"
                  .formatted(token.source(), what, answer, TOKENS_URL));
      case 404 ->
          spec != null
              ? new HubException(
                  HubException.Kind.UNKNOWN_REPO,
                  "the Hub cannot %s: it knows no repository, user or org among %s (%s); fix the"
                          .formatted(what, watched(spec), answer)
                      + " @watch line of "
                      + spec.file())
              : new HubException(
                  HubException.Kind.HUB_FAILED,
                  "the Hub cannot %s (%s): is HF_ENDPOINT (%s) a Hugging Face Hub?"
                      .formatted(what, answer, endpoint));
      case 400, 409, 422 ->
          new HubException(
              HubException.Kind.REFUSED,
              "the Hub refused to %s (%s)%s"
                  .formatted(
                      what,
                      answer,
                      spec != null ? "; check the directives of " + spec.file() : ""));
      case 429 ->
          new HubException(
              HubException.Kind.RATE_LIMITED,
              "rate limited by the Hub while trying to %s (%s): try again %s"
                  .formatted(what, answer, retryAfter(response)));
      default ->
          new HubException(
              HubException.Kind.HUB_FAILED,
              "the Hub failed to %s (%s): try again later".formatted(what, answer));
    };
  }

  private static String watched(WebhookSpec spec) {
    return spec.watch().items().stream()
        .map(Watch.Item::toString)
        .collect(Collectors.joining(", "));
  }

  /** "in 30 s" from {@code Retry-After} (seconds or an HTTP date), else "in a minute or so". */
  static String retryAfter(HttpResponse<?> response) {
    String value = response.headers().firstValue("Retry-After").orElse("").strip();
    long seconds = -1;
    if (value.matches("\\d{1,9}")) {
      seconds = Long.parseLong(value);
    } else if (!value.isEmpty()) {
      try {
        ZonedDateTime when = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
        seconds = Math.max(0, Duration.between(ZonedDateTime.now(), when).toSeconds());
      } catch (DateTimeParseException e) {
        // Not a date either: say nothing precise.
      }
    }
    if (seconds < 0) {
      return "in a minute or so";
    }
    if (seconds < 120) {
      return "in " + seconds + " s";
    }
    return "in " + (seconds + 59) / 60 + " minutes";
  }

  /**
   * What the Hub said, where huggingface_hub looks for it: the {@code X-Error-Message} header, the
   * body's {@code error} (a string or a list) and {@code errors[].message}, else a short plain
   * body.
   */
  private String serverMessage(HttpResponse<String> response) {
    List<String> said = new ArrayList<>();
    response.headers().firstValue("X-Error-Message").ifPresent(said::add);
    String body = response.body() == null ? "" : response.body().strip();
    JsonNode json = Json.tryParse(body).orElse(null);
    if (json != null && json.isObject()) {
      JsonNode error = json.path("error");
      if (error.isArray()) {
        error.forEach(e -> said.add(e.asText()));
      } else if (error.isValueNode()) {
        said.add(error.asText());
      }
      json.path("errors").forEach(e -> said.add(e.path("message").asText("")));
    } else if (!body.isEmpty()
        && !body.startsWith("<")
        && !response
            .headers()
            .firstValue("Content-Type")
            .orElse("")
            .toLowerCase(Locale.ROOT)
            .contains("html")) {
      said.add(body);
    }
    String message =
        said.stream()
            .map(s -> s.replaceAll("\\s+", " ").strip())
            .filter(s -> !s.isEmpty())
            .distinct()
            .collect(Collectors.joining("; "));
    if (message.length() > 300) {
      message = message.substring(0, 300) + "...";
    }
    // Whatever a server echoes back, the token stays out of the output.
    return message.replace(token.value(), "[hidden]");
  }

  private HubWebhook webhook(JsonNode node, String what) throws HubException {
    if (!node.isObject() || !node.path("id").isTextual()) {
      throw unexpected(what, "a webhook with an id", node);
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

  private HubException unexpected(String what, String expected, JsonNode got) {
    String text = got.isMissingNode() ? "nothing" : Json.write(got);
    if (text.length() > 120) {
      text = text.substring(0, 120) + "...";
    }
    return new HubException(
        HubException.Kind.HUB_FAILED,
        "unexpected answer from the Hub at %s to %s: expected %s, got %s"
            .formatted(endpoint, what, expected, text.replace(token.value(), "[hidden]")));
  }

  /** Why a connection failed, in words: the JDK's exceptions often carry no message. */
  private String reason(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return "unknown host " + URI.create(endpoint).getHost();
      }
      if (t instanceof HttpConnectTimeoutException) {
        return "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
      }
      if (t instanceof SSLException) {
        return "TLS failed: " + t.getMessage();
      }
    }
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return "connection failed";
  }

  private static String encode(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    http.shutdownNow();
  }
}
