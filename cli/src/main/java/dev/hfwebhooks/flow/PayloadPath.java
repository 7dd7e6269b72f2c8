package dev.hfwebhooks.flow;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A dotted path into a v3 payload ({@code repo.name}, {@code updatedRefs.ref}), checked against the
 * payload's shape when it is read, so that a typo is an error at start and not a filter that
 * silently never holds. Through an array ({@code updatedRefs}, {@code repo.tags}) it reaches every
 * element.
 *
 * @param text the path as written
 * @param names its parts
 */
public record PayloadPath(String text, List<String> names) {

  /** What a field holds, as far as a path cares. */
  private sealed interface Shape {}

  /** A string, number, boolean or null. */
  private record Leaf() implements Shape {}

  /** An object with these fields. */
  private record Obj(Map<String, Shape> fields) implements Shape {}

  /** An array of this. */
  private record Many(Shape element) implements Shape {}

  /** Anything at all: {@code updatedConfig} holds whatever part of the config changed. */
  private record Open() implements Shape {}

  private static final Leaf LEAF = new Leaf();
  private static final Obj URL = new Obj(Map.of("web", LEAF, "api", LEAF));
  private static final Obj OWNER = new Obj(Map.of("id", LEAF));

  /** The v3 payload as the Hub documents it (see HF-WEBHOOKS.md and {@code PayloadParser}). */
  private static final Obj V3 =
      new Obj(
          Map.of(
              "event",
              new Obj(Map.of("action", LEAF, "scope", LEAF)),
              "repo",
              new Obj(
                  Map.of(
                      "id", LEAF,
                      "owner", OWNER,
                      "name", LEAF,
                      "private", LEAF,
                      "type", LEAF,
                      "url", URL,
                      "headSha", LEAF,
                      "subdomain", LEAF,
                      "tags", new Many(LEAF))),
              "webhook",
              new Obj(Map.of("id", LEAF, "version", LEAF)),
              "discussion",
              new Obj(
                  Map.of(
                      "id", LEAF,
                      "num", LEAF,
                      "author", OWNER,
                      "url", URL,
                      "title", LEAF,
                      "isPullRequest", LEAF,
                      "status", LEAF,
                      "changes", new Obj(Map.of("base", LEAF, "mergeCommitId", LEAF)),
                      "pinned", LEAF)),
              "comment",
              new Obj(
                  Map.of(
                      "id", LEAF,
                      "author", OWNER,
                      "hidden", LEAF,
                      "content", LEAF,
                      "url", URL)),
              "movedTo",
              new Obj(Map.of("name", LEAF, "owner", OWNER)),
              "updatedRefs",
              new Many(new Obj(Map.of("ref", LEAF, "oldSha", LEAF, "newSha", LEAF))),
              "updatedConfig",
              new Open()));

  /**
   * Reads {@code text}, a path that must end at a value (a string, number or boolean) of a v3
   * payload.
   *
   * @throws IllegalArgumentException saying what is wrong, and what is there instead
   */
  public static PayloadPath parse(String text) {
    if (text.isEmpty() || text.startsWith(".") || text.endsWith(".") || text.contains("..")) {
      throw new IllegalArgumentException(
          "\"%s\" is not a path: write field names joined by dots, e.g. repo.name".formatted(text));
    }
    List<String> names = List.of(text.split("\\."));
    Shape shape = V3;
    List<String> walked = new ArrayList<>();
    for (String name : names) {
      while (shape instanceof Many many) {
        shape = many.element();
      }
      if (shape instanceof Open) {
        break;
      }
      if (!(shape instanceof Obj obj)) {
        throw new IllegalArgumentException(
            "\"%s\" can never be in a v3 payload: %s is a value, it has no field \"%s\""
                .formatted(text, String.join(".", walked), name));
      }
      Shape next = obj.fields().get(name);
      if (next == null) {
        throw new IllegalArgumentException(
            "\"%s\" can never be in a v3 payload: %s has no field \"%s\" (it has %s)"
                .formatted(
                    text,
                    walked.isEmpty() ? "the payload" : String.join(".", walked),
                    name,
                    fieldList(obj)));
      }
      walked.add(name);
      shape = next;
    }
    while (shape instanceof Many many) {
      shape = many.element();
    }
    if (shape instanceof Obj obj) {
      throw new IllegalArgumentException(
          "\"%s\" is an object, not a value: name one of its fields (%s)"
              .formatted(text, fieldList(obj).replaceAll("(\\w+)", text + ".$1")));
    }
    return new PayloadPath(text, names);
  }

  private static String fieldList(Obj obj) {
    return String.join(", ", obj.fields().keySet().stream().sorted().toList());
  }

  /**
   * The values at this path in {@code payload}, as text ({@code true}, {@code 3}), one per array
   * element reached; empty when the payload does not have it (or has null there).
   */
  public List<String> values(JsonNode payload) {
    List<JsonNode> nodes = List.of(payload);
    for (String name : names) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode node : nodes) {
        collect(node.get(name), next);
      }
      nodes = next;
    }
    List<String> values = new ArrayList<>(nodes.size());
    for (JsonNode node : nodes) {
      if (node.isValueNode() && !node.isNull()) {
        values.add(node.asText());
      }
    }
    return values;
  }

  /** Adds {@code node}, or each element when it is an array. */
  private static void collect(JsonNode node, List<JsonNode> into) {
    if (node == null) {
      return;
    }
    if (node.isArray()) {
      node.forEach(into::add);
    } else {
      into.add(node);
    }
  }

  @Override
  public String toString() {
    return text;
  }
}
