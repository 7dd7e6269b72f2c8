package dev.hfwebhooks.payload;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** The one JSON mapper of the program, with limits that keep hostile bodies cheap to refuse. */
public final class Json {
  /**
   * Real payloads nest about five levels deep and carry short numbers; these limits stop a body of
   * a million brackets or a ten-thousand-digit number at the first byte past them, long before it
   * costs memory or CPU.
   */
  static final int MAX_NESTING_DEPTH = 64;

  static final int MAX_NUMBER_LENGTH = 100;

  public static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_NESTING_DEPTH)
                          .maxNumberLength(MAX_NUMBER_LENGTH)
                          .build())
                  .build())
          .build();

  private Json() {}

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** Compact JSON text of a value; never fails for trees and plain records. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Reads exactly one value: by default Jackson stops after the first and ignores the rest, so
   * {@code 1 2} read as 1 and a handler's answer lost all it printed after its first JSON value.
   */
  private static final ObjectReader ONE_VALUE =
      MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** The tree of {@code text} when it is one complete JSON value, else empty. */
  public static Optional<JsonNode> tryParse(String text) {
    try {
      JsonNode node = ONE_VALUE.readTree(text);
      return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }
}
