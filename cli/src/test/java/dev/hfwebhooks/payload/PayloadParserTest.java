package dev.hfwebhooks.payload;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.payloadText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PayloadParserTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "dataset-repo-content-update.json",
        "discussion-comment-create.json",
        "discussion-create-pull-request.json",
        "model-repo-content-update.json",
        "repo-create.json",
        "repo-delete.json"
      })
  void everySamplePayloadIsValid(String file) throws Exception {
    WebhookPayload payload = PayloadParser.parse(payload(file));

    assertThat(payload.webhook().version()).isEqualTo(3);
    assertThat(payload.repo().name()).contains("/");
    assertThat(payload.repo().url().web()).startsWith("https://huggingface.co/");
  }

  @Test
  void pushCarriesHeadShaAndUpdatedRefs() throws Exception {
    WebhookPayload payload = PayloadParser.parse(payload("model-repo-content-update.json"));

    assertThat(payload.event()).isEqualTo(new WebhookPayload.Event("update", "repo.content"));
    assertThat(payload.repo().headSha()).isEqualTo("9f2c4e1a7b3d5f608e1c2b4a6d8f0e3c5a7b9d1e");
    assertThat(payload.repo().type()).isEqualTo("model");
    assertThat(payload.repo().owner().id()).isEqualTo("65f0a1b2c3d4e5f60718293a");
    assertThat(payload.updatedRefs())
        .containsExactly(
            new WebhookPayload.UpdatedRef(
                "refs/heads/main",
                "3b8d1f0e6a2c4e9b7d5f1a3c8e0b2d4f6a8c0e2b",
                "9f2c4e1a7b3d5f608e1c2b4a6d8f0e3c5a7b9d1e"));
  }

  @Test
  void pullRequestCarriesItsDiscussion() throws Exception {
    WebhookPayload payload = PayloadParser.parse(payload("discussion-create-pull-request.json"));

    assertThat(payload.discussion().isPullRequest()).isTrue();
    assertThat(payload.discussion().num()).isEqualTo(7);
    assertThat(payload.discussion().status()).isEqualTo("open");
    assertThat(payload.discussion().changes().base()).isEqualTo("refs/heads/main");
  }

  @Test
  void newRefHasNoOldShaAndUnknownFieldsAndScopesAreAccepted() throws Exception {
    String text =
        payloadText("model-repo-content-update.json")
            .replace("\"oldSha\": \"3b8d1f0e6a2c4e9b7d5f1a3c8e0b2d4f6a8c0e2b\"", "\"oldSha\": null")
            .replace("\"repo.content\"", "\"repo.config.dois\"")
            .replaceFirst("\\{", "{\"brandNew\": [1, {\"x\": true}],");

    WebhookPayload payload = PayloadParser.parse(text.getBytes(StandardCharsets.UTF_8));

    assertThat(payload.updatedRefs().get(0).oldSha()).isNull();
    assertThat(payload.event().scope()).isEqualTo("repo.config.dois");
  }

  @Test
  void everyBadFieldIsNamed() {
    String text =
        """
        {"event": {"action": "explode"},
         "repo": {"id": 1, "owner": {}, "name": "a/b", "private": "no", "type": "kernel",
                  "url": {}},
         "webhook": {"id": "w", "version": 2},
         "updatedRefs": [{"ref": "refs/heads/main", "newSha": "abc"}, 5]}
        """;

    PayloadException e =
        catchThrowableOfType(
            PayloadException.class,
            () -> PayloadParser.parse(text.getBytes(StandardCharsets.UTF_8)));

    assertThat(e.isInvalidPayload()).isTrue();
    assertThat(e.problems())
        .extracting(PayloadException.Problem::toString)
        .containsExactly(
            "event.action must be one of create, delete, move, update, not \"explode\"",
            "event.scope is required",
            "repo.type must be one of model, dataset, space, not \"kernel\"",
            "repo.id must be a string, not a number",
            "repo.owner.id is required",
            "repo.private must be true or false, not a string",
            "repo.url.web is required",
            "webhook.version must be 3, not 2",
            "updatedRefs[0].oldSha is required (null allowed)",
            "updatedRefs[1] must be an object, not a number");
  }

  @Test
  void missingRequiredPartsAreEachReported() {
    PayloadException e =
        catchThrowableOfType(
            PayloadException.class,
            () -> PayloadParser.parse("{}".getBytes(StandardCharsets.UTF_8)));

    assertThat(e.problems())
        .extracting(PayloadException.Problem::field)
        .containsExactly("event", "repo", "webhook");
  }

  @Test
  void notJsonSaysWhereItBroke() {
    PayloadException e =
        catchThrowableOfType(
            PayloadException.class,
            () -> PayloadParser.parse("{\"event\": {\n  oops}".getBytes(StandardCharsets.UTF_8)));

    assertThat(e.isInvalidPayload()).isFalse();
    assertThat(e.getMessage()).startsWith("Body is not valid JSON: ").contains("line 2, column");
  }

  @Test
  void hostileJsonHitsALimitAndSaysWhich() {
    byte[] deep = ("[".repeat(100_000) + "]".repeat(100_000)).getBytes(StandardCharsets.UTF_8);
    byte[] huge = ("{\"n\": " + "1".repeat(5_000) + "}").getBytes(StandardCharsets.UTF_8);

    assertThat(catchThrowableOfType(PayloadException.class, () -> PayloadParser.parse(deep)))
        .hasMessageContaining("nesting depth")
        .hasMessageNotContaining("StreamReadConstraints");
    assertThat(catchThrowableOfType(PayloadException.class, () -> PayloadParser.parse(huge)))
        .hasMessageContaining("Number value length");
  }

  // Found by PayloadParserPropertiesTest: Jackson stops after the first value, so a payload with
  // anything after it was accepted, and every handler got a body it could not parse.
  @Test
  void anythingAfterThePayloadMakesTheBodyNotJson() throws Exception {
    String push = payloadText("repo-create.json").strip();

    PayloadException second =
        catchThrowableOfType(
            PayloadException.class,
            () -> PayloadParser.parse((push + "\n{}").getBytes(StandardCharsets.UTF_8)));
    assertThat(second.isInvalidPayload()).isFalse();
    assertThat(second.getMessage())
        .isEqualTo(
            "Body is not valid JSON: more follows the JSON value (line %d, column 1)"
                .formatted(push.lines().count() + 1));
    for (String tail : new String[] {"}", " x", "]", "\"", " 1"}) {
      assertThat(
              catchThrowableOfType(
                  PayloadException.class,
                  () -> PayloadParser.parse((push + tail).getBytes(StandardCharsets.UTF_8))))
          .as(tail)
          .hasMessageStartingWith("Body is not valid JSON: ");
    }
    // Blanks after it are no value: a body ending in a newline is as good as one without.
    assertThat(PayloadParser.parse((push + "\n\r\n  ").getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(PayloadParser.parse(push.getBytes(StandardCharsets.UTF_8)));
  }

  // Found by PayloadParserPropertiesTest: asInt() keeps the low 32 bits of a larger number.
  @Test
  void aVersionThatIsThreeOnlyInItsLow32BitsIsRefused() {
    String body =
        payloadText("repo-create.json").replace("\"version\": 3", "\"version\": 4294967299");

    PayloadException e =
        catchThrowableOfType(
            PayloadException.class,
            () -> PayloadParser.parse(body.getBytes(StandardCharsets.UTF_8)));

    assertThat(e.problems())
        .extracting(PayloadException.Problem::toString)
        .containsExactly("webhook.version must be 3, not 4294967299");
  }

  // Found by WholeWayPropertiesTest: a NUL in repo.name passed the validator, then no process
  // handler could start (its WEBHOOK_REPO_ID cannot hold a NUL), a 500 the handler did not cause.
  @Test
  void aNulInAValueHandlersGetInTheirEnvironmentIsRefused() {
    String body =
        payloadText("repo-create.json")
            .replace("\"acme/sentiment-model-v2\"", "\"acme/a\\u0000b\"")
            .replace("\"scope\": \"repo\"", "\"scope\": \"repo\\u0000\"");

    PayloadException e =
        catchThrowableOfType(
            PayloadException.class,
            () -> PayloadParser.parse(body.getBytes(StandardCharsets.UTF_8)));

    assertThat(e.problems())
        .extracting(PayloadException.Problem::toString)
        .containsExactly(
            "event.scope must not contain a NUL character (\\u0000)",
            "repo.name must not contain a NUL character (\\u0000)");
  }
}
