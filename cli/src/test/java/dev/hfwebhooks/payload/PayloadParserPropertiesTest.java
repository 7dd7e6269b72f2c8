package dev.hfwebhooks.payload;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hfwebhooks.testing.Gen;
import dev.hfwebhooks.testing.Generated;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Generated bodies through the validator: whatever arrives, the answer is a payload or a {@link
 * PayloadException} that says what is wrong, never another exception; and what it accepts is what
 * the Hub's v3 model accepts.
 */
class PayloadParserPropertiesTest {
  private static final List<JsonNode> SAMPLES = Gen.samplePayloads();

  /** A second opinion on "one JSON value": Jackson with nothing allowed after the value. */
  private static final ObjectMapper STRICT =
      Json.MAPPER.copy().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** The property every body must have, and what an accepted one must be. */
  private static void parsesOrSaysWhy(byte[] body) throws Exception {
    WebhookPayload payload;
    try {
      payload = PayloadParser.parse(body);
    } catch (PayloadException e) {
      assertThat(e.getMessage()).isNotBlank();
      e.problems()
          .forEach(
              p -> {
                assertThat(p.field()).isNotBlank();
                assertThat(p.message()).isNotBlank();
              });
      return;
    }
    assertThat(payload).isNotNull();
    // Accepted: the whole body is one JSON object with webhook.version exactly 3.
    JsonNode tree = STRICT.readTree(body);
    assertThat(tree.isObject()).isTrue();
    assertThat(tree.path("webhook").path("version").decimalValue())
        .isEqualByComparingTo(BigDecimal.valueOf(3));
    assertThat(tree.path("webhook").path("version").isIntegralNumber()).isTrue();
  }

  @Test
  void anyBytesGiveAPayloadOrAPayloadException() {
    Generated.forAll(
        r -> Gen.bytes(r, 300),
        Generated::shrinkBytes,
        PayloadParserPropertiesTest::parsesOrSaysWhy);
  }

  @Test
  void sampleBodiesDamagedByteByByteGiveAPayloadOrAPayloadException() {
    Generated.forAll(
        r -> Gen.mutate(r, bytesOf(Gen.oneOf(r, SAMPLES))),
        Generated::shrinkBytes,
        PayloadParserPropertiesTest::parsesOrSaysWhy);
  }

  @Test
  void anyJsonAndSampleBodiesWithFieldsChangedGiveAPayloadOrAPayloadException() {
    Generated.forAll(
        (Random r) ->
            bytesOf(r.nextInt(4) == 0 ? Gen.json(r, 5) : Gen.mutate(r, Gen.oneOf(r, SAMPLES))),
        Generated::shrinkBytes,
        PayloadParserPropertiesTest::parsesOrSaysWhy);
  }

  @Test
  void aBodyWithAnythingAfterItsObjectIsNotJson() {
    Generated.forAll(
        (Random r) -> {
          String tail = Gen.oneOf(r, " x", "{}", "[1]", " 1", "\"", ",", "}", " null", "\n{");
          return (new String(bytesOf(Gen.oneOf(r, SAMPLES)), StandardCharsets.UTF_8) + tail)
              .getBytes(StandardCharsets.UTF_8);
        },
        PayloadParserPropertiesTest::parsesOrSaysWhy);
  }

  @Test
  void aVersionIsAcceptedOnlyWhenItIsExactly3() {
    Generated.forAll(
        (Random r) -> {
          JsonNode payload = Gen.oneOf(r, SAMPLES).deepCopy();
          String version = Gen.number(r);
          String text = Json.write(payload);
          return text.replace("\"version\":3", "\"version\":" + version)
              .getBytes(StandardCharsets.UTF_8);
        },
        PayloadParserPropertiesTest::parsesOrSaysWhy);
  }

  private static byte[] bytesOf(JsonNode node) {
    return Json.write(node).getBytes(StandardCharsets.UTF_8);
  }
}
