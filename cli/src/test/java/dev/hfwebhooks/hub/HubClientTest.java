package dev.hfwebhooks.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hfwebhooks.handler.Watch;
import dev.hfwebhooks.testing.FakeHub;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The client against the fake Hub: what it sends, and how each failure reads. */
class HubClientTest {
  private static final String BASE = "https://1a2b.ngrok-free.app";
  private static final WebhookSpec PUSH =
      WebhookSpec.of(
          BASE,
          "push",
          Path.of("handlers/push.js"),
          new Watch(
              List.of(
                  new Watch.Item("model", "acme/sentiment-model"), new Watch.Item("org", "acme")),
              List.of("repo")),
          "s3cret");

  private FakeHub fake;
  private HubClient hub;

  @BeforeEach
  void start() {
    fake = FakeHub.start();
    hub = new HubClient(fake.url(), new HubToken(FakeHub.TOKEN, "HF_TOKEN"));
  }

  @AfterEach
  void stop() {
    hub.close();
    fake.close();
  }

  @Test
  void createSendsWhatCreateWebhookSendsAndReadsTheWebhookBack() throws Exception {
    HubWebhook created = hub.create(PUSH);

    FakeHub.Call call = fake.calls().getFirst();
    assertThat(call.method() + " " + call.path()).isEqualTo("POST /api/settings/webhooks");
    assertThat(call.authorization()).isEqualTo("Bearer " + FakeHub.TOKEN);
    assertThat(call.body())
        .isEqualTo(
            "{\"watched\":[{\"type\":\"model\",\"name\":\"acme/sentiment-model\"},"
                + "{\"type\":\"org\",\"name\":\"acme\"}],"
                + "\"url\":\"https://1a2b.ngrok-free.app/webhooks/push\","
                + "\"domains\":[\"repo\"],\"secret\":\"s3cret\"}");
    assertThat(created.url()).isEqualTo(BASE + "/webhooks/push");
    assertThat(created.watched()).isEqualTo(PUSH.watch().items());
    assertThat(created.secret()).isEqualTo("s3cret");
    assertThat(created.enabled()).isTrue();
    assertThat(hub.list()).containsExactly(created);
  }

  @Test
  void updatePostsAllFourFieldsToTheWebhooksIdAndDeleteRemovesIt() throws Exception {
    String id = fake.add(BASE + "/webhooks/push", List.of("org:acme"), List.of("repo"), "kept");
    HubWebhook current = hub.list().getFirst();
    WebhookSpec leaveSecret = new WebhookSpec("push", PUSH.file(), PUSH.url(), PUSH.watch(), null);

    HubWebhook updated = hub.update(current, leaveSecret);
    boolean deleted = hub.delete(id);
    boolean again = hub.delete(id);

    FakeHub.Call update = fake.calls("POST").getFirst();
    assertThat(update.path()).isEqualTo("/api/settings/webhooks/" + id);
    assertThat(update.json().fieldNames())
        .toIterable()
        .containsExactly("watched", "url", "domains", "secret");
    assertThat(update.json().path("secret").asText()).as("sent back as it was").isEqualTo("kept");
    assertThat(updated.watched()).isEqualTo(PUSH.watch().items());
    assertThat(fake.calls("DELETE")).extracting(FakeHub.Call::path).containsOnly(update.path());
    assertThat(deleted).isTrue();
    assertThat(again).as("already gone is not an error").isFalse();
    assertThat(fake.webhooks()).isEmpty();
  }

  @Test
  void aSuspendedWebhookIsListedAsDisabledWithTheHubsReason() throws Exception {
    String id = fake.add(BASE + "/webhooks/a", List.of("org:acme"), List.of("repo"), null);
    String other = fake.add(BASE + "/webhooks/b", List.of("org:acme"), List.of("repo"), null);
    fake.disable(id, "suspended-after-failure");
    fake.disable(other, true);
    fake.hideSecrets();

    List<HubWebhook> listed = hub.list();

    assertThat(listed)
        .extracting(HubWebhook::disabled)
        .containsExactly("suspended-after-failure", "disabled");
    assertThat(listed).extracting(HubWebhook::secretShown).containsOnly(false);
  }

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of(
            "bad token",
            (Setup) (fake, hub) -> new HubClient(fake.url(), new HubToken("hf_wrong", "HF_TOKEN")),
            HubException.Kind.BAD_TOKEN,
            "the Hub refused the token from HF_TOKEN (401: Invalid credentials in Authorization"
                + " header): it is wrong, expired or revoked; create one with write access at"
                + " https://huggingface.co/settings/tokens, then run `huggingface-cli login` (or"
                + " `hf auth login`), or set HF_TOKEN"),
        Arguments.of(
            "read-only token",
            (Setup)
                (fake, hub) ->
                    new HubClient(fake.url(), new HubToken(FakeHub.READ_TOKEN, "/home/me/token")),
            HubException.Kind.FORBIDDEN,
            "the token from /home/me/token may not create the webhook of push (403: You don't"
                + " have the rights to manage webhooks with this token): use a token with write"
                + " access (https://huggingface.co/settings/tokens)"),
        Arguments.of(
            "unknown repo",
            (Setup)
                (fake, hub) -> {
                  fake.doesNotKnow("model:acme/sentiment-model");
                  return hub;
                },
            HubException.Kind.UNKNOWN_REPO,
            "the Hub cannot create the webhook of push: it knows no repository, user or org among"
                + " model:acme/sentiment-model, org:acme (404: Repository not found); fix the"
                + " @watch line of handlers/push.js"),
        Arguments.of(
            "rate limited",
            (Setup)
                (fake, hub) -> {
                  fake.answerNext(
                      429, Map.of("Retry-After", "30"), "{\"error\": \"Too many requests\"}");
                  return hub;
                },
            HubException.Kind.RATE_LIMITED,
            "rate limited by the Hub while trying to create the webhook of push (429: Too many"
                + " requests): try again in 30 s"),
        Arguments.of(
            "rate limited for long, without a body",
            (Setup)
                (fake, hub) -> {
                  fake.answerNext(429, Map.of("Retry-After", "600"), "");
                  return hub;
                },
            HubException.Kind.RATE_LIMITED,
            "rate limited by the Hub while trying to create the webhook of push (429): try again in"
                + " 10 minutes"),
        Arguments.of(
            "refused, with the Hub's reasons",
            (Setup)
                (fake, hub) -> {
                  fake.answerNext(
                      400,
                      Map.of("X-Error-Message", "Invalid webhook"),
                      "{\"errors\": [{\"message\": \"url must be public\"}]}");
                  return hub;
                },
            HubException.Kind.REFUSED,
            "the Hub refused to create the webhook of push (400: Invalid webhook; url must be"
                + " public); check the directives of handlers/push.js"),
        Arguments.of(
            "a server error, echoing the token",
            (Setup)
                (fake, hub) -> {
                  fake.answerNext(
                      503, Map.of(), "{\"error\": \"overloaded, token " + FakeHub.TOKEN + "\"}");
                  return hub;
                },
            HubException.Kind.HUB_FAILED,
            "the Hub failed to create the webhook of push (503: overloaded, token [hidden]): try"
                + " again later"),
        Arguments.of(
            "an answer of the wrong shape",
            (Setup)
                (fake, hub) -> {
                  fake.answerNext(200, Map.of(), "{\"id\": \"65a\"}");
                  return hub;
                },
            HubException.Kind.HUB_FAILED,
            "unexpected answer from the Hub at %ENDPOINT% to create the webhook of push: expected"
                + " a webhook with an id, got nothing"),
        Arguments.of(
            "an HTML page",
            (Setup)
                (fake, hub) -> {
                  fake.answerNext(200, Map.of(), "<html>a login page</html>");
                  return hub;
                },
            HubException.Kind.HUB_FAILED,
            "the Hub's answer to create the webhook of push is not JSON: is HF_ENDPOINT"
                + " (%ENDPOINT%) a Hugging Face Hub?"));
  }

  /** Prepares the fake Hub for one failure and gives the client to use. */
  interface Setup {
    HubClient prepare(FakeHub fake, HubClient hub);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void eachFailureIsOneLineThatSaysWhatToDo(
      String name, Setup setup, HubException.Kind kind, String message) {
    HubClient client = setup.prepare(fake, hub);
    try {
      HubException e = catchThrowableOfType(HubException.class, () -> client.create(PUSH));

      assertThat(e.kind()).isEqualTo(kind);
      assertThat(e.getMessage())
          .isEqualTo(message.replace("%ENDPOINT%", fake.url()))
          .doesNotContain(FakeHub.TOKEN)
          .doesNotContain("\n");
    } finally {
      client.close();
    }
  }

  @Test
  void anUnreachableHubSaysSoAndNamesHfEndpoint() throws Exception {
    String nowhere;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nowhere = "http://127.0.0.1:" + socket.getLocalPort();
    }
    try (HubClient client = new HubClient(nowhere, new HubToken(FakeHub.TOKEN, "HF_TOKEN"))) {
      HubException e = catchThrowableOfType(HubException.class, client::list);

      assertThat(e.kind()).isEqualTo(HubException.Kind.UNREACHABLE);
      assertThat(e.getMessage())
          .isEqualTo(
              "cannot reach the Hub at "
                  + nowhere
                  + " to list your webhooks (connection refused): check your connection, or"
                  + " HF_ENDPOINT");
    }
  }
}
