package dev.hfwebhooks.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.handler.Watch;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.testing.FakeHub;
import dev.hfwebhooks.testing.Gen;
import dev.hfwebhooks.testing.Generated;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated answers from a fake Hub (any status, headers and body) to each call of the webhook API:
 * the client gives a result, or a {@link HubException} of the kind its status documents, with one
 * line that never holds the token; never another exception.
 */
class HubClientPropertiesTest {
  private static FakeHub fake;
  private static HubClient client;

  private static final WebhookSpec SPEC =
      WebhookSpec.of(
          "https://acme-hooks.hf.space",
          "push",
          Path.of("handlers", "push.js"),
          new Watch(List.of(new Watch.Item("model", "acme/x")), Watch.DOMAINS),
          "s");

  private static final HubWebhook CURRENT =
      new HubWebhook(
          "6543bbc16f2ec14d77f10001",
          SPEC.url(),
          SPEC.watch().items(),
          SPEC.watch().domains(),
          "s",
          true,
          null);

  @BeforeAll
  static void start() {
    fake = FakeHub.start();
    client = new HubClient(fake.url(), new HubToken(FakeHub.TOKEN, "HF_TOKEN"));
  }

  @AfterAll
  static void stop() {
    client.close();
    fake.close();
  }

  /** One answer the Hub might give, and the call it answers. */
  record Answer(String call, int status, Map<String, String> headers, String body) {}

  private static Answer answer(Random r) {
    int status =
        r.nextBoolean()
            ? Gen.oneOf(r, 200, 201, 400, 401, 402, 403, 404, 409, 412, 422, 429, 500, 502, 503)
            : 200 + r.nextInt(400);
    if (status == 204 || status == 205 || status == 304) {
      status = 200; // no body allowed: the fake Hub could not send the one drawn
    }
    Map<String, String> headers = new LinkedHashMap<>();
    if (r.nextBoolean()) {
      headers.put("X-Error-Message", Gen.headerValue(r, 40));
    }
    if (r.nextInt(4) == 0) {
      headers.put("X-Error-Code", Gen.oneOf(r, "RepoNotFound", "GatedRepo", ""));
    }
    if (r.nextInt(4) == 0) {
      headers.put(
          "Retry-After",
          Gen.oneOf(
              r,
              "30",
              "0",
              "999999999",
              "-1",
              "soon",
              "Sat, 05 Dec 2026 08:00:00 GMT",
              "Mon, 31 Feb 2026 25:61:61 GMT",
              Gen.headerValue(r, 20)));
    }
    if (r.nextInt(4) == 0) {
      headers.put(
          "Content-Type",
          Gen.oneOf(
              r,
              "text/html",
              "application/json; charset=utf-16",
              "application/json; charset=no-such",
              "text/plain; charset=\"",
              Gen.headerValue(r, 20)));
    }
    String body =
        switch (r.nextInt(6)) {
          case 0 -> "";
          case 1 -> Gen.text(r, 200);
          case 2 -> Json.write(Gen.json(r, 4));
          case 3 -> "[" + Json.write(Gen.mutate(r, webhook())) + "]";
          case 4 -> Json.write(Json.object().set("webhook", Gen.mutate(r, webhook())));
          default ->
              Json.write(
                  Json.object()
                      .put("error", Gen.text(r, 60) + FakeHub.TOKEN)
                      .set("errors", Gen.json(r, 2)));
        };
    return new Answer(Gen.oneOf(r, "list", "create", "update", "delete"), status, headers, body);
  }

  private static ObjectNode webhook() {
    ObjectNode webhook = Json.object().put("id", CURRENT.id()).put("url", SPEC.url());
    webhook.putArray("watched").addObject().put("type", "model").put("name", "acme/x");
    webhook.putArray("domains").add("repo").add("discussion");
    webhook.put("secret", "s").put("disabled", false);
    return webhook;
  }

  /** The kind a failed call must have, by the status (and the call, for a 404). */
  private static HubException.Kind kindOf(Answer a) {
    return switch (a.status()) {
      case 401 ->
          "RepoNotFound".equals(a.headers().get("X-Error-Code"))
              ? HubException.Kind.NOT_FOUND
              : HubException.Kind.BAD_TOKEN;
      case 402 -> HubException.Kind.PAYMENT_REQUIRED;
      case 403 -> HubException.Kind.FORBIDDEN;
      case 404 ->
          a.call().equals("list") ? HubException.Kind.NOT_FOUND : HubException.Kind.UNKNOWN_REPO;
      case 400, 409, 422 -> HubException.Kind.REFUSED;
      case 412 -> HubException.Kind.CHANGED_MEANWHILE;
      case 429 -> HubException.Kind.RATE_LIMITED;
      default -> HubException.Kind.HUB_FAILED;
    };
  }

  @Test
  void everyAnswerGivesAResultOrAHubExceptionOfItsStatussKind() {
    Generated.forAll(
        HubClientPropertiesTest::answer,
        a -> {
          fake.answerNext(a.status(), a.headers(), a.body());
          Object result;
          try {
            result =
                switch (a.call()) {
                  case "list" -> client.list();
                  case "create" -> client.create(SPEC);
                  case "update" -> client.update(CURRENT, SPEC);
                  default -> client.delete(CURRENT.id());
                };
          } catch (HubException e) {
            boolean ok = a.status() / 100 == 2;
            assertThat(e.kind()).isEqualTo(ok ? HubException.Kind.HUB_FAILED : kindOf(a));
            assertThat(e.getMessage()).isNotBlank().doesNotContain("\n", "\r", FakeHub.TOKEN);
            return;
          }
          // Only a success, or a DELETE of what is gone, gives a result.
          boolean gone = a.call().equals("delete") && a.status() == 404;
          assertThat(a.status() / 100 == 2 || gone).as("a result from a %d", a.status()).isTrue();
          if (gone) {
            assertThat(result).isEqualTo(false);
          }
          if (result instanceof HubWebhook webhook) {
            assertThat(webhook.id()).isNotNull();
          }
          if (result instanceof List<?> webhooks) {
            webhooks.forEach(w -> assertThat(((HubWebhook) w).id()).isNotNull());
          }
        });
  }
}
