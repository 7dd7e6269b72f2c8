package dev.hfwebhooks.payload;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.payload.PayloadException.Problem;
import dev.hfwebhooks.payload.WebhookPayload.Changes;
import dev.hfwebhooks.payload.WebhookPayload.Comment;
import dev.hfwebhooks.payload.WebhookPayload.Discussion;
import dev.hfwebhooks.payload.WebhookPayload.Event;
import dev.hfwebhooks.payload.WebhookPayload.MovedTo;
import dev.hfwebhooks.payload.WebhookPayload.Owner;
import dev.hfwebhooks.payload.WebhookPayload.Repo;
import dev.hfwebhooks.payload.WebhookPayload.UpdatedRef;
import dev.hfwebhooks.payload.WebhookPayload.Url;
import dev.hfwebhooks.payload.WebhookPayload.Webhook;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Parses a request body into a {@link WebhookPayload}, the way the Hub's v3 model defines it.
 *
 * <p>Validation walks the JSON tree by hand rather than through data binding so that every bad
 * field is reported at once, by its path, as pydantic does for huggingface_hub.
 */
public final class PayloadParser {
  static final Set<String> ACTIONS = Set.of("create", "delete", "move", "update");
  static final Set<String> REPO_TYPES = Set.of("model", "dataset", "space");
  static final Set<String> DISCUSSION_STATUSES = Set.of("open", "closed", "draft", "merged");

  /**
   * The one version there is, compared exactly: {@code asInt()} keeps the low 32 bits of a larger
   * number, and 4294967299 read as 3.
   */
  private static final BigInteger VERSION = BigInteger.valueOf(3);

  private PayloadParser() {}

  /** Parses {@code body}: not JSON is a {@link PayloadException} without problems, else with. */
  public static WebhookPayload parse(byte[] body) throws PayloadException {
    JsonNode root;
    try (JsonParser parser = Json.MAPPER.createParser(body)) {
      root = Json.MAPPER.readTree(parser);
      // One value and nothing after it: every handler gets the body as it came, and one that
      // parses it (JSON.parse, json.loads, jq) would fail on what follows.
      if (root != null && parser.nextToken() != null) {
        throw PayloadException.notJson(
            "Body is not valid JSON: more follows the JSON value"
                + where(parser.currentTokenLocation()));
      }
    } catch (StreamConstraintsException e) {
      // Depth or number-size limit: say which, without Jackson's internal names.
      throw PayloadException.notJson(
          "Body exceeds a JSON limit: " + e.getOriginalMessage().replaceAll(",? from `[^`]*`", ""));
    } catch (JsonProcessingException e) {
      throw PayloadException.notJson(
          "Body is not valid JSON: " + e.getOriginalMessage() + where(e.getLocation()));
    } catch (IOException e) {
      throw PayloadException.notJson("Body could not be read: " + e.getMessage());
    }
    if (root == null || root.isMissingNode()) {
      throw PayloadException.notJson("Body is empty; expected a JSON object.");
    }
    Fields top = new Fields(root, "", new ArrayList<>());
    if (!root.isObject()) {
      throw PayloadException.invalid(
          List.of(new Problem("body", "must be a JSON object, not " + kind(root))));
    }
    WebhookPayload payload =
        new WebhookPayload(
            required(top.object("event", true, PayloadParser::event)),
            required(top.object("repo", true, PayloadParser::repo)),
            required(top.object("webhook", true, PayloadParser::webhook)),
            top.object("discussion", false, PayloadParser::discussion),
            top.object("comment", false, PayloadParser::comment),
            top.object(
                "movedTo", false, f -> new MovedTo(required(f.string("name")), owner(f, "owner"))),
            top.list(
                "updatedRefs",
                f ->
                    new UpdatedRef(
                        required(f.string("ref")),
                        f.nullableString("oldSha"),
                        f.nullableString("newSha"))),
            top.object("updatedConfig", false, f -> f.node));
    if (!top.problems.isEmpty()) {
      throw PayloadException.invalid(top.problems);
    }
    return payload;
  }

  /**
   * A required value as its record holds it. It is null only where reading it added a problem, and
   * then {@link #parse} throws before any record leaves the parser: a payload it returns never
   * holds null there. The types cannot say "non-null once the problems are empty", so NullAway is
   * told here, in this one place, rather than the records' required fields being declared
   * {@code @Nullable} for every handler to check.
   */
  @SuppressWarnings("NullAway") // null only on a payload that parse() refuses; see above
  private static <T> T required(@Nullable T value) {
    return value;
  }

  private static String where(@Nullable JsonLocation at) {
    return at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
  }

  private static Event event(Fields f) {
    String action = f.string("action");
    if (action != null && !ACTIONS.contains(action)) {
      f.problem("action", "must be one of create, delete, move, update, not \"" + action + "\"");
    }
    // Scopes grow narrower over time (repo.config.dois): any non-empty string is accepted.
    return new Event(required(action), required(f.envString("scope")));
  }

  private static Repo repo(Fields f) {
    String type = f.string("type");
    if (type != null && !REPO_TYPES.contains(type)) {
      f.problem("type", "must be one of model, dataset, space, not \"" + type + "\"");
    }
    return new Repo(
        required(f.string("id")),
        owner(f, "owner"),
        required(f.envString("name")),
        f.bool("private", true),
        required(type),
        url(f),
        f.optionalString("headSha"),
        f.optionalString("subdomain"),
        f.stringList("tags"));
  }

  private static Webhook webhook(Fields f) {
    String id = f.string("id");
    JsonNode version = f.node.get("version");
    if (version == null || version.isNull()) {
      f.problem("version", "is required");
    } else if (!(version.isIntegralNumber() && version.bigIntegerValue().equals(VERSION))) {
      f.problem("version", "must be 3, not " + version);
    }
    return new Webhook(required(id), 3);
  }

  private static Discussion discussion(Fields f) {
    String status = f.string("status");
    if (status != null && !DISCUSSION_STATUSES.contains(status)) {
      f.problem("status", "must be one of open, closed, draft, merged, not \"" + status + "\"");
    }
    return new Discussion(
        required(f.string("id")),
        f.integer("num"),
        owner(f, "author"),
        url(f),
        required(f.string("title")),
        f.bool("isPullRequest", true),
        required(status),
        f.object(
            "changes",
            false,
            c -> new Changes(required(c.string("base")), c.optionalString("mergeCommitId"))),
        f.node.has("pinned") ? f.bool("pinned", false) : null);
  }

  private static Comment comment(Fields f) {
    return new Comment(
        required(f.string("id")),
        owner(f, "author"),
        f.bool("hidden", true),
        f.optionalString("content"),
        url(f));
  }

  private static Owner owner(Fields f, String name) {
    return required(f.object(name, true, o -> new Owner(required(o.string("id")))));
  }

  private static Url url(Fields f) {
    return required(
        f.object("url", true, u -> new Url(required(u.string("web")), u.optionalString("api"))));
  }

  private static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
    };
  }

  /** Reads the fields of one JSON object, adding a problem per missing or mistyped field. */
  private record Fields(JsonNode node, String path, List<Problem> problems) {
    interface Reader<T> {
      T read(Fields fields);
    }

    String pathOf(String name) {
      return path.isEmpty() ? name : path + "." + name;
    }

    void problem(String name, String message) {
      problems.add(new Problem(pathOf(name), message));
    }

    /** A required string (problem when missing, null or not a string). */
    @Nullable String string(String name) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        problem(name, "is required");
        return null;
      }
      if (!value.isTextual()) {
        problem(name, "must be a string, not " + kind(value));
        return null;
      }
      return value.textValue();
    }

    /**
     * A required string that handlers get in their environment ({@code WEBHOOK_REPO_ID}, {@code
     * WEBHOOK_EVENT_SCOPE}): a process environment cannot hold a NUL character, so a payload with
     * one could reach no process handler, and is refused here instead.
     */
    @Nullable String envString(String name) {
      String value = string(name);
      if (value != null && value.indexOf('\0') >= 0) {
        problem(name, "must not contain a NUL character (\\u0000)");
        return null;
      }
      return value;
    }

    /** An optional string: absent or null gives null. */
    @Nullable String optionalString(String name) {
      JsonNode value = node.get(name);
      return value == null || value.isNull() ? null : string(name);
    }

    /** A string that must be present but may be null (e.g. {@code oldSha} of a new ref). */
    @Nullable String nullableString(String name) {
      if (!node.has(name)) {
        problem(name, "is required (null allowed)");
        return null;
      }
      return optionalString(name);
    }

    boolean bool(String name, boolean required) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        if (required) {
          problem(name, "is required");
        }
        return false;
      }
      if (!value.isBoolean()) {
        problem(name, "must be true or false, not " + kind(value));
        return false;
      }
      return value.booleanValue();
    }

    int integer(String name) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        problem(name, "is required");
        return 0;
      }
      if (!value.isIntegralNumber() || !value.canConvertToInt()) {
        problem(name, "must be an integer, not " + value);
        return 0;
      }
      return value.intValue();
    }

    <T> @Nullable T object(String name, boolean required, Reader<T> reader) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        if (required) {
          problem(name, "is required");
        }
        return null;
      }
      if (!value.isObject()) {
        problem(name, "must be an object, not " + kind(value));
        return null;
      }
      return reader.read(new Fields(value, pathOf(name), problems));
    }

    /** An optional list of objects; null when absent. */
    <T> @Nullable List<T> list(String name, Reader<T> reader) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        return null;
      }
      if (!value.isArray()) {
        problem(name, "must be an array, not " + kind(value));
        return null;
      }
      List<T> items = new ArrayList<>();
      for (int i = 0; i < value.size(); i++) {
        JsonNode item = value.get(i);
        String itemPath = pathOf(name) + "[" + i + "]";
        if (!item.isObject()) {
          problems.add(new Problem(itemPath, "must be an object, not " + kind(item)));
        } else {
          items.add(reader.read(new Fields(item, itemPath, problems)));
        }
      }
      return List.copyOf(items);
    }

    @Nullable List<String> stringList(String name) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        return null;
      }
      List<String> items = new ArrayList<>();
      if (value.isArray()) {
        value.forEach(item -> items.add(item.isTextual() ? item.textValue() : null));
      }
      if (!value.isArray() || items.contains(null)) {
        problem(name, "must be an array of strings");
        return null;
      }
      return List.copyOf(items);
    }
  }
}
