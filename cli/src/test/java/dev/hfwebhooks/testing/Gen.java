package dev.hfwebhooks.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.payload.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Generators of hostile input for {@link Generated#forAll}: text with every kind of character,
 * bytes, JSON of any shape, numbers at the edges, and mutations of valid inputs (which reach much
 * deeper into a parser than random noise does).
 */
public final class Gen {
  private Gen() {}

  /** Characters that break naive code: controls, odd spaces, separators, surrogates, non-BMP. */
  private static final String ODD =
      "\u0000\u0001\u001b\u007f\u0085\u00a0\u00e9\u1680\u2000\u2028\u2029\u202e\u3000\ufeff\ufffd"
          + "\ud800\udfff";

  /** Punctuation parsers care about. */
  private static final String PUNCTUATION = " \t\r\n.,:;/\\\"'`{}[]()<>|=!~*?#@%&+-_$^";

  public static <T> T oneOf(Random r, List<T> choices) {
    return choices.get(r.nextInt(choices.size()));
  }

  @SafeVarargs
  public static <T> T oneOf(Random r, T... choices) {
    return choices[r.nextInt(choices.length)];
  }

  /** Up to {@code max} characters of every kind, mostly printable ASCII. */
  public static String text(Random r, int max) {
    int length = r.nextInt(max + 1);
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      int kind = r.nextInt(20);
      if (kind < 10) {
        s.append((char) (0x20 + r.nextInt(0x5f)));
      } else if (kind < 14) {
        s.append(PUNCTUATION.charAt(r.nextInt(PUNCTUATION.length())));
      } else if (kind < 16) {
        s.append(ODD.charAt(r.nextInt(ODD.length())));
      } else if (kind < 18) {
        s.append((char) r.nextInt(0x3000));
      } else if (kind < 19) {
        s.appendCodePoint(0x10000 + r.nextInt(0x10000)); // outside the BMP: two chars
      } else {
        s.append(Character.forDigit(r.nextInt(10), 10));
      }
    }
    return s.toString();
  }

  /** Up to {@code max} characters drawn from {@code alphabet}. */
  public static String from(Random r, String alphabet, int max) {
    int length = r.nextInt(max + 1);
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  /** Words joined by single spaces, each one of {@code parts} or, sometimes, noise. */
  public static String words(Random r, List<String> parts, int max) {
    int count = r.nextInt(max + 1);
    List<String> words = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      words.add(r.nextInt(8) == 0 ? text(r, 12) : oneOf(r, parts));
    }
    return String.join(oneOf(r, " ", " ", " ", "  ", "\t", ","), words);
  }

  /** Up to {@code max} random bytes. */
  public static byte[] bytes(Random r, int max) {
    byte[] bytes = new byte[r.nextInt(max + 1)];
    r.nextBytes(bytes);
    return bytes;
  }

  /**
   * Numbers as JSON writes them, at the edges: huge, tiny, negative zero, exponents, int overflow.
   */
  public static String number(Random r) {
    return switch (r.nextInt(9)) {
      case 0 -> String.valueOf(r.nextInt(10));
      case 1 -> String.valueOf(r.nextLong());
      case 2 -> String.valueOf(r.nextInt());
      case 3 -> "-0";
      case 4 -> (r.nextBoolean() ? "" : "-") + r.nextInt(1000) + "e" + (r.nextInt(800) - 400);
      case 5 -> new BigInteger(130, r).toString();
      case 6 -> String.valueOf(r.nextDouble() * Math.pow(10, r.nextInt(40) - 20));
      case 7 -> String.valueOf((1L << 32) * (r.nextInt(4) + 1) + r.nextInt(5)); // wraps as an int
      default -> "3" + oneOf(r, ".0", ".5", "e0", "E1", ".0000000001", "");
    };
  }

  /** A JSON value of any shape, at most {@code depth} levels deep. */
  public static JsonNode json(Random r, int depth) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    int kind = r.nextInt(depth <= 0 ? 5 : 7);
    return switch (kind) {
      case 0 -> f.nullNode();
      case 1 -> f.booleanNode(r.nextBoolean());
      case 2 -> f.textNode(text(r, 20));
      case 3 -> numberNode(r);
      case 4 -> f.textNode(oneOf(r, "model", "dataset", "space", "create", "update", "", "3"));
      case 5 -> {
        ArrayNode array = f.arrayNode();
        for (int i = r.nextInt(4); i > 0; i--) {
          array.add(json(r, depth - 1));
        }
        yield array;
      }
      default -> {
        ObjectNode object = f.objectNode();
        for (int i = r.nextInt(5); i > 0; i--) {
          object.set(key(r), json(r, depth - 1));
        }
        yield object;
      }
    };
  }

  private static JsonNode numberNode(Random r) {
    String text = number(r);
    try {
      return Json.MAPPER.readTree(text);
    } catch (Exception e) {
      return JsonNodeFactory.instance.numberNode(new BigDecimal(text));
    }
  }

  /** Keys of a v3 payload mostly, so that mutated trees stay close to what the parser reads. */
  private static final List<String> KEYS =
      List.of(
          "event",
          "action",
          "scope",
          "repo",
          "id",
          "owner",
          "name",
          "private",
          "type",
          "url",
          "web",
          "api",
          "headSha",
          "subdomain",
          "tags",
          "webhook",
          "version",
          "discussion",
          "num",
          "author",
          "title",
          "isPullRequest",
          "status",
          "changes",
          "base",
          "mergeCommitId",
          "pinned",
          "comment",
          "hidden",
          "content",
          "movedTo",
          "updatedRefs",
          "ref",
          "oldSha",
          "newSha",
          "updatedConfig");

  private static String key(Random r) {
    return r.nextInt(4) == 0 ? text(r, 8) : oneOf(r, KEYS);
  }

  /**
   * {@code tree} (not changed) with a few changes deep inside: a value replaced by another of any
   * shape, a field removed or added, an array emptied.
   */
  public static JsonNode mutate(Random r, JsonNode tree) {
    JsonNode copy = tree.deepCopy();
    for (int n = 1 + r.nextInt(3); n > 0; n--) {
      List<JsonNode> containers = new ArrayList<>();
      collect(copy, containers);
      if (containers.isEmpty()) {
        return json(r, 3);
      }
      JsonNode target = oneOf(r, containers);
      if (target instanceof ObjectNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        int what = r.nextInt(3);
        if (what == 0 || names.isEmpty()) {
          object.set(key(r), json(r, 2));
        } else if (what == 1) {
          object.remove(oneOf(r, names));
        } else {
          object.set(oneOf(r, names), json(r, 2));
        }
      } else if (target instanceof ArrayNode array) {
        if (array.isEmpty() || r.nextBoolean()) {
          array.add(json(r, 2));
        } else {
          array.set(r.nextInt(array.size()), json(r, 2));
        }
      }
    }
    return copy;
  }

  private static void collect(JsonNode node, List<JsonNode> into) {
    if (node.isContainerNode()) {
      into.add(node);
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
        collect(it.next(), into);
      }
    }
  }

  /** {@code bytes} (not changed) with a few byte-level changes: flips, cuts, inserts, copies. */
  public static byte[] mutate(Random r, byte[] bytes) {
    byte[] out = bytes.clone();
    for (int n = 1 + r.nextInt(4); n > 0; n--) {
      if (out.length == 0) {
        return bytes(r, 16);
      }
      int at = r.nextInt(out.length);
      switch (r.nextInt(5)) {
        case 0 -> out[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> out = Arrays.copyOf(out, at); // truncated
        case 2 -> out[at] = (byte) r.nextInt(256);
        case 3 ->
            out = insert(out, at, oneOf(r, "{", "}", "[", "]", "\"", ",", ":", "\\", "\u00ff"));
        default -> {
          int length = Math.min(out.length - at, 1 + r.nextInt(16));
          out = insert(out, at, new String(out, at, length, StandardCharsets.ISO_8859_1));
        }
      }
    }
    return out;
  }

  private static byte[] insert(byte[] bytes, int at, String text) {
    byte[] extra = text.getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[bytes.length + extra.length];
    System.arraycopy(bytes, 0, out, 0, at);
    System.arraycopy(extra, 0, out, at, extra.length);
    System.arraycopy(bytes, at, out, at + extra.length, bytes.length - at);
    return out;
  }

  /** The sample payloads of the repository, parsed. */
  public static List<JsonNode> samplePayloads() {
    List<JsonNode> samples = new ArrayList<>();
    for (String name :
        List.of(
            "dataset-repo-content-update.json",
            "discussion-comment-create.json",
            "discussion-create-pull-request.json",
            "model-repo-content-update.json",
            "repo-create.json",
            "repo-delete.json")) {
      samples.add(Json.tryParse(Fixtures.payloadText(name)).orElseThrow());
    }
    return samples;
  }

  /** HTTP header values a server could send: printable ASCII. */
  public static String headerValue(Random r, int max) {
    return from(r, " !#$%&'()*+,-./0123456789:;<=>?@ABCXYZabcxyz[]^_`{|}~", max).strip();
  }
}
