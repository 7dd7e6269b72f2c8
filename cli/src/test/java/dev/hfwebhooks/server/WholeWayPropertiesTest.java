package dev.hfwebhooks.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hfwebhooks.handler.AnswerCap;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.payload.PayloadException;
import dev.hfwebhooks.payload.PayloadParser;
import dev.hfwebhooks.payload.WebhookPayload;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.Gen;
import dev.hfwebhooks.testing.Generated;
import dev.hfwebhooks.testing.ServerHarness;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated bodies the whole way, through one real server to an echo handler of every kind
 * (process, JavaScript, Python): a body the validator accepts reaches each handler exactly as sent
 * (stdin byte for byte, {@code WEBHOOK_PAYLOAD} as documented, the parsed value equal to Jackson's
 * parse), and any other body is refused with a 4xx that says why. Never a 500, never a hang.
 */
class WholeWayPropertiesTest {
  private static final List<JsonNode> SAMPLES = Gen.samplePayloads();

  /** The process handler's cap on {@code WEBHOOK_PAYLOAD} (README, "Process handlers"). */
  private static final int MAX_ENV_PAYLOAD = 120 * 1024;

  /** Reads what JavaScript and Python write for numbers JSON cannot hold (Infinity, NaN). */
  private static final ObjectMapper LENIENT =
      Json.MAPPER
          .copy()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature())
          .enable(com.fasterxml.jackson.core.JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);

  private static Path dir;
  private static ServerHarness server;

  @BeforeAll
  static void echoHandlersOfEveryKind() throws Exception {
    assumeThat(Fixtures.DEBIAN_PYTHON).as("Debian's python3 (.ci/run installs it)").exists();
    dir = Files.createTempDirectory("whole-way");
    // Hashes, so that the answer says exactly which bytes arrived whatever they are.
    Fixtures.write(
        dir,
        "shell.sh",
        """
        #!/bin/sh
        stdin=$(sha256sum | cut -c1-64)
        if [ "${WEBHOOK_PAYLOAD+set}" = set ]; then
          env=$(printf '%s' "$WEBHOOK_PAYLOAD" | sha256sum | cut -c1-64)
        else
          env=unset
        fi
        repo=$(printf '%s' "$WEBHOOK_REPO_ID" | sha256sum | cut -c1-64)
        printf '{"stdin":"%s","env":"%s","repo":"%s"}' "$stdin" "$env" "$repo"
        """);
    Fixtures.write(dir, "js.js", "function handle(payload, context) { return payload; }\n");
    // json.dumps of its own, so that numbers past a double (inf) still say what Python read.
    Fixtures.write(
        dir,
        "py.py",
        """
        import hashlib, json, os

        def handle(payload, context):
            env = os.environ["WEBHOOK_PAYLOAD"].encode("utf-8", "surrogatepass")
            return {"payload": json.dumps(payload), "env": hashlib.sha256(env).hexdigest()}
        """);
    server =
        ServerHarness.open(
            dir, ServerHarness.Recording.journal(Files.createTempDirectory("whole-way-data")));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void validBodiesReachEveryHandlerExactlyAsSent() {
    Generated.forAll(
        Generated.COSTLY_TRIES,
        WholeWayPropertiesTest::validBody,
        Generated::shrinkBytes,
        WholeWayPropertiesTest::reachesOrIsRefused);
  }

  @Test
  void brokenBodiesAreRefusedWithAReasonBeforeAnyHandler() {
    Generated.forAll(
        Generated.COSTLY_TRIES,
        (Random r) ->
            switch (r.nextInt(4)) {
              case 0 -> Gen.bytes(r, 300);
              case 1 -> Gen.mutate(r, bytesOf(Gen.oneOf(r, SAMPLES)));
              case 2 -> bytesOf(Gen.mutate(r, Gen.oneOf(r, SAMPLES)));
              default -> wrongVersionOrMissingField(r);
            },
        Generated::shrinkBytes,
        WholeWayPropertiesTest::reachesOrIsRefused);
  }

  /** The property: every handler ran on exactly {@code body}, or every one was spared it. */
  private static void reachesOrIsRefused(byte[] body) throws Exception {
    WebhookPayload accepted;
    try {
      accepted = PayloadParser.parse(body);
    } catch (PayloadException e) {
      accepted = null;
    }
    Map<String, CompletableFuture<HttpResponse<String>>> answers = new LinkedHashMap<>();
    for (String name : List.of("shell", "js", "py")) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(server.url("/webhooks/" + name)))
              .timeout(java.time.Duration.ofSeconds(60))
              .header("X-Webhook-Secret", ServerHarness.SECRET)
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      answers.put(
          name, server.client().sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()));
    }
    for (var entry : answers.entrySet()) {
      HttpResponse<String> answer = entry.getValue().get();
      String name = entry.getKey();
      if (accepted == null) {
        assertThat(answer.statusCode()).as("%s refused: %s", name, answer.body()).isIn(400, 422);
        assertThat(Json.MAPPER.readTree(answer.body()).path("error").asText())
            .as("%s says why", name)
            .isNotBlank();
        continue;
      }
      assertThat(answer.statusCode()).as("%s: %s", name, answer.body()).isEqualTo(200);
      JsonNode got = Json.MAPPER.readTree(answer.body());
      JsonNode sent = Json.MAPPER.readTree(body);
      switch (name) {
        case "shell" -> {
          assertThat(got.path("stdin").asText()).as("stdin").isEqualTo(sha256(body));
          assertThat(got.path("env").asText())
              .as("WEBHOOK_PAYLOAD")
              .isEqualTo(body.length <= MAX_ENV_PAYLOAD ? sha256(body) : "unset");
          assertThat(got.path("repo").asText())
              .as("WEBHOOK_REPO_ID")
              .isEqualTo(sha256(accepted.repo().name().getBytes(StandardCharsets.UTF_8)));
        }
        case "js" -> assertSame("JavaScript", asJavaScript(sent), asJavaScript(got));
        default -> {
          assertThat(got.path("env").asText()).as("os.environ").isEqualTo(sha256(body));
          JsonNode read = LENIENT.readTree(got.path("payload").asText());
          assertSame("Python", asPython(sent), asPython(read));
        }
      }
    }
  }

  private static void assertSame(String who, JsonNode expected, JsonNode actual) {
    assertThat(actual).as("what %s read", who).isEqualTo(expected);
  }

  /** A tree as JavaScript holds it: every number a double, one past a double's range null. */
  private static JsonNode asJavaScript(JsonNode node) {
    return map(
        node,
        number -> {
          double d = number.doubleValue();
          return Double.isFinite(d)
              ? JsonNodeFactory.instance.numberNode(d == 0 ? 0.0 : d)
              : JsonNodeFactory.instance.nullNode();
        });
  }

  /** A tree as Python holds it: integers exact, other numbers doubles (inf and all). */
  private static JsonNode asPython(JsonNode node) {
    return map(
        node,
        number ->
            number.isIntegralNumber()
                ? JsonNodeFactory.instance.numberNode(number.bigIntegerValue())
                : JsonNodeFactory.instance.textNode("double " + number.doubleValue()));
  }

  private static JsonNode map(
      JsonNode node, java.util.function.Function<JsonNode, JsonNode> numbers) {
    if (node.isNumber()) {
      return numbers.apply(node);
    }
    if (node instanceof ObjectNode object) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      object.fields().forEachRemaining(e -> out.set(e.getKey(), map(e.getValue(), numbers)));
      return out;
    }
    if (node instanceof ArrayNode array) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      array.forEach(item -> out.add(map(item, numbers)));
      return out;
    }
    return node;
  }

  /**
   * A sample payload made harder and still valid: strings replaced by text of every kind (astral
   * characters, U+2028, controls), long strings, unknown fields, nesting, numbers written every way
   * JSON allows, sometimes pretty-printed.
   */
  private static byte[] validBody(Random r) {
    // The echo handlers answer the payload back, and an answer is cut at 1 MiB (AnswerCap, tested
    // on its own); Python's json.dumps escapes every non-ASCII character and the server escapes
    // that again, up to 3.5 times the body. A body whose echo could pass the cap is the cap's
    // case, not this property's: another is generated in its place.
    while (true) {
      byte[] body = harderSample(r);
      if (body.length <= AnswerCap.DEFAULT_MAX_BYTES / 4) {
        return body;
      }
    }
  }

  private static byte[] harderSample(Random r) {
    ObjectNode tree = (ObjectNode) Gen.oneOf(r, SAMPLES).deepCopy();
    List<String> numbers = new ArrayList<>();
    for (int n = 1 + r.nextInt(4); n > 0; n--) {
      List<ObjectNode> objects = new ArrayList<>();
      collectObjects(tree, objects);
      ObjectNode target = Gen.oneOf(r, objects);
      switch (r.nextInt(6)) {
        case 0 -> replaceAString(r, tree);
        case 1 -> target.put(Gen.text(r, 10), hardText(r));
        case 2 -> target.set("x" + Gen.text(r, 6), nested(r, 1 + r.nextInt(40)));
        case 3 -> {
          // A number written as a placeholder, swapped for its raw text once serialized.
          numbers.add(Gen.number(r));
          target.put("n" + r.nextInt(1000), "@@number" + (numbers.size() - 1) + "@@");
        }
        case 4 -> target.set("extra" + r.nextInt(100), Gen.json(r, 4));
        default ->
            target.put(
                "long",
                Gen.oneOf(r, "a", "\u00e9", "\u2028", "\ud83e\udd17").repeat(longLength(r)));
      }
    }
    String text =
        r.nextInt(4) == 0
            ? tree.toPrettyString() + Gen.oneOf(r, "", "\n", " \r\n")
            : Json.write(tree);
    for (int i = 0; i < numbers.size(); i++) {
      text = text.replace("\"@@number" + i + "@@\"", numbers.get(i));
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static int longLength(Random r) {
    return r.nextInt(8) == 0 ? 40_000 + r.nextInt(40_000) : r.nextInt(5000);
  }

  /** Text of every kind, the separators JavaScript once choked on and astral characters first. */
  private static String hardText(Random r) {
    return Gen.oneOf(r, "", "\u2028", "\u2029", "\ud83e\udd17", "\ud800", "\u0000", "\"\\")
        + Gen.text(r, 40)
        + Gen.oneOf(r, "", "\u2028", "\ud83d\ude00", "\udfff");
  }

  private static void replaceAString(Random r, JsonNode tree) {
    List<Map.Entry<ObjectNode, String>> strings = new ArrayList<>();
    collectStrings(tree, strings);
    if (!strings.isEmpty()) {
      var chosen = Gen.oneOf(r, strings);
      String field = chosen.getValue();
      // Enumerated fields (scope, action, type) must keep a value the validator knows.
      if (!List.of("scope", "action", "type", "status").contains(field)) {
        chosen.getKey().put(field, hardText(r));
      }
    }
  }

  private static JsonNode nested(Random r, int depth) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    JsonNode inner = f.textNode(hardText(r));
    for (int i = 0; i < depth; i++) {
      inner = r.nextBoolean() ? f.arrayNode().add(inner) : f.objectNode().set("k", inner);
    }
    return inner;
  }

  private static void collectObjects(JsonNode node, List<ObjectNode> into) {
    if (node instanceof ObjectNode object) {
      into.add(object);
    }
    for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
      collectObjects(it.next(), into);
    }
  }

  private static void collectStrings(JsonNode node, List<Map.Entry<ObjectNode, String>> into) {
    if (node instanceof ObjectNode object) {
      object
          .fields()
          .forEachRemaining(
              e -> {
                if (e.getValue() instanceof TextNode) {
                  into.add(Map.entry(object, e.getKey()));
                }
              });
    }
    for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
      collectStrings(it.next(), into);
    }
  }

  private static byte[] wrongVersionOrMissingField(Random r) {
    ObjectNode tree = (ObjectNode) Gen.oneOf(r, SAMPLES).deepCopy();
    switch (r.nextInt(4)) {
      case 0 -> ((ObjectNode) tree.get("webhook")).put("version", Gen.oneOf(r, 1, 2, 4, -3));
      case 1 -> ((ObjectNode) tree.get("webhook")).put("version", "3");
      case 2 -> tree.remove(Gen.oneOf(r, "event", "repo", "webhook"));
      default -> ((ObjectNode) tree.get("repo")).remove(Gen.oneOf(r, "name", "type"));
    }
    return bytesOf(tree);
  }

  private static byte[] bytesOf(JsonNode node) {
    return Json.write(node).getBytes(StandardCharsets.UTF_8);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
