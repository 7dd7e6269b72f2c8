package dev.hfwebhooks.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.payload.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * One Hub and one token: sends requests the way huggingface_hub does ({@code Authorization: Bearer
 * <token>}, redirects not followed) and turns every failure into a {@link HubException} whose
 * message is one line that says what to do and never contains the token. {@link HubClient} (the
 * webhook settings) and {@link SpaceApi} (Spaces) are built on it.
 */
public final class HubHttp implements AutoCloseable {
  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

  /** Where a token is made, for messages. */
  public static final String TOKENS_URL = "https://huggingface.co/settings/tokens";

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /** An answer of any status, as the Hub gave it. */
  record Answer(int status, String body, HttpHeaders headers) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    Optional<String> header(String name) {
      return headers.firstValue(name);
    }
  }

  private final String endpoint;
  private final HubToken token;
  private final HttpClient http;
  private final String userAgent;

  public HubHttp(String endpoint, HubToken token) {
    this.endpoint = endpoint;
    this.token = token;
    // Redirects are not followed (the default): a token must never be sent to another host.
    this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    String version = HubHttp.class.getPackage().getImplementationVersion();
    this.userAgent = "hf-webhooks/" + (version != null ? version : "dev");
  }

  /** The Hub and token that {@code env} gives, as huggingface_hub finds them. */
  public static HubHttp connect(Map<String, String> env) throws HubException {
    return new HubHttp(endpoint(env), HubToken.require(env));
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

  /** Sends a request; any answer comes back, only a failure to get one is thrown. */
  Answer exchange(
      String method, String path, @Nullable String contentType, byte @Nullable [] body, String what)
      throws HubException {
    HttpRequest.Builder request =
        request(path, REQUEST_TIMEOUT).header("Accept", "application/json");
    if (body != null) {
      request
          .header("Content-Type", contentType)
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body(), response.headers());
    } catch (IOException e) {
      throw unreachable(e, what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException(
          HubException.Kind.UNREACHABLE, "stopped while waiting for the Hub to " + what, e);
    }
  }

  /**
   * Sends JSON and returns the answer's JSON (missing when empty), or fails as {@link #failure}.
   */
  JsonNode json(String method, String path, @Nullable JsonNode body, String what)
      throws HubException {
    Answer answer =
        exchange(
            method,
            path,
            "application/json",
            body == null ? null : Json.write(body).getBytes(StandardCharsets.UTF_8),
            what);
    if (!answer.ok()) {
      throw failure(answer, what);
    }
    return parse(answer, what);
  }

  /** The JSON of a successful answer; an empty one is a missing node. */
  JsonNode parse(Answer answer, String what) throws HubException {
    if (answer.body() == null || answer.body().isBlank()) {
      return Json.MAPPER.missingNode();
    }
    try {
      return Json.MAPPER.readTree(answer.body());
    } catch (JsonProcessingException e) {
      throw new HubException(
          HubException.Kind.HUB_FAILED,
          "the Hub's answer to %s is not JSON: is HF_ENDPOINT (%s) a Hugging Face Hub?"
              .formatted(what, endpoint),
          e);
    }
  }

  /**
   * A streamed GET (a log), read for at most {@code within}: the Hub keeps such streams open while
   * there is more to come. Null when the Hub has no such stream.
   */
  @Nullable InputStream stream(String path, Duration within, String what) throws HubException {
    try {
      HttpResponse<InputStream> response =
          http.send(
              request(path, within).header("Accept", "text/event-stream").GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() / 100 != 2) {
        response.body().close();
        return null;
      }
      return response.body();
    } catch (IOException e) {
      throw unreachable(e, what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException(
          HubException.Kind.UNREACHABLE, "stopped while waiting for the Hub to " + what, e);
    }
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    return HttpRequest.newBuilder(URI.create(endpoint + path))
        .timeout(timeout)
        .header("Authorization", "Bearer " + token.value())
        .header("User-Agent", userAgent);
  }

  private HubException unreachable(IOException e, String what) {
    if (e instanceof HttpTimeoutException && !(e instanceof HttpConnectTimeoutException)) {
      return new HubException(
          HubException.Kind.UNREACHABLE,
          "the Hub at %s did not answer within %d s to %s: check your connection, or HF_ENDPOINT"
              .formatted(endpoint, REQUEST_TIMEOUT.toSeconds(), what),
          e);
    }
    return new HubException(
        HubException.Kind.UNREACHABLE,
        "cannot reach the Hub at %s to %s (%s): check your connection, or HF_ENDPOINT"
            .formatted(endpoint, what, reason(e)),
        e);
  }

  /** The one line that says what a failed answer means and what to do. */
  HubException failure(Answer answer, String what) {
    int status = answer.status();
    String said = status + (said(answer).isEmpty() ? "" : ": " + said(answer));
    return switch (status) {
      case 401 ->
          answer.header("X-Error-Code").filter("RepoNotFound"::equals).isPresent()
              // On a repository's URL the Hub answers 401 for one that is missing or hidden.
              ? new HubException(
                  HubException.Kind.NOT_FOUND,
                  "the Hub cannot %s (%s): it does not exist, or the token from %s cannot see it"
                      .formatted(what, said, token.source()))
              : new HubException(
                  HubException.Kind.BAD_TOKEN,
                  "the Hub refused the token from %s (%s): it is wrong, expired or revoked; %s"
                      .formatted(token.source(), said, HubToken.HOW_TO_GET_ONE));
      case 402 ->
          new HubException(
              HubException.Kind.PAYMENT_REQUIRED,
              "the Hub wants a paid plan to %s (%s): see https://huggingface.co/pricing"
                  .formatted(what, said));
      case 403 ->
          new HubException(
              HubException.Kind.FORBIDDEN,
              "the token from %s may not %s (%s): use a token with write access (%s)"
                  .formatted(token.source(), what, said, TOKENS_URL));
      case 404 ->
          new HubException(
              HubException.Kind.NOT_FOUND,
              "the Hub cannot %s (%s): is HF_ENDPOINT (%s) a Hugging Face Hub?"
                  .formatted(what, said, endpoint));
      case 400, 409, 422 ->
          new HubException(
              HubException.Kind.REFUSED, "the Hub refused to %s (%s)".formatted(what, said));
      case 412 ->
          new HubException(
              HubException.Kind.CHANGED_MEANWHILE,
              "the Hub refused to %s (%s): someone else changed it meanwhile; run again"
                  .formatted(what, said));
      case 429 ->
          new HubException(
              HubException.Kind.RATE_LIMITED,
              "rate limited by the Hub while trying to %s (%s): try again %s"
                  .formatted(what, said, retryAfter(answer.headers())));
      default ->
          new HubException(
              HubException.Kind.HUB_FAILED,
              "the Hub failed to %s (%s): try again later".formatted(what, said));
    };
  }

  /** "in 30 s" from {@code Retry-After} (seconds or an HTTP date), else "in a minute or so". */
  static String retryAfter(HttpHeaders headers) {
    String value = headers.firstValue("Retry-After").orElse("").strip();
    long seconds = -1;
    if (value.matches("\\d{1,9}")) {
      seconds = Long.parseLong(value);
    } else if (!value.isEmpty()) {
      try {
        ZonedDateTime when = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
        seconds =
            Math.max(0, Duration.between(ZonedDateTime.now(ZoneOffset.UTC), when).toSeconds());
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
  String said(Answer answer) {
    List<String> said = new ArrayList<>();
    answer.header("X-Error-Message").ifPresent(said::add);
    String body = answer.body() == null ? "" : answer.body().strip();
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
        && !answer.header("Content-Type").orElse("").toLowerCase(Locale.ROOT).contains("html")) {
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
    return hide(message);
  }

  /** Whatever a server echoes back, the token stays out of the output. */
  String hide(String text) {
    return text.replace(token.value(), "[hidden]");
  }

  HubException unexpected(String what, String expected, JsonNode got) {
    String text = got.isMissingNode() ? "nothing" : Json.write(got);
    if (text.length() > 120) {
      text = text.substring(0, 120) + "...";
    }
    return new HubException(
        HubException.Kind.HUB_FAILED,
        "unexpected answer from the Hub at %s to %s: expected %s, got %s"
            .formatted(endpoint, what, expected, hide(text)));
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

  /** One path segment, percent-encoded. */
  static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public void close() {
    http.shutdownNow();
  }
}
