package dev.hfwebhooks.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.payload.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The Hub's webhook settings API as huggingface_hub uses it, and its Spaces API as {@code deploy}
 * uses it ({@link FakeSpaces}), on 127.0.0.1 and a free port, for {@code HF_ENDPOINT}: it keeps
 * webhooks in memory, records every call, and answers with the errors a test asks for. Answers have
 * the real Hub's shapes: a bare array from the list, {@code {"webhook": {...}}} from create and
 * update, {@code {"error": "..."}} on failure.
 */
public final class FakeHub implements AutoCloseable {
  /** The token this Hub accepts for everything. */
  public static final String TOKEN = "hf_FakeTokenForTestsOnly7c1f9e";

  /** A token it knows but that may only read (403 on any change). */
  public static final String READ_TOKEN = "hf_ReadOnlyTokenForTests2b8d";

  /** One request as the fake Hub received it. */
  public record Call(String method, String path, String authorization, String body) {
    public JsonNode json() {
      return Json.tryParse(body).orElse(Json.MAPPER.missingNode());
    }

    @Override
    public String toString() {
      return method + " " + path + (body.isEmpty() ? "" : " " + body);
    }
  }

  /** An answer to give, once, to the first call that matches. */
  private record Rule(Predicate<Call> when, int status, Map<String, String> headers, String body) {}

  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<Rule> rules = new ArrayList<>();
  private final Map<String, ObjectNode> webhooks = new LinkedHashMap<>();
  private final Set<String> unknown = new HashSet<>();
  private boolean showSecrets = true;
  private int nextId = 1;
  private final FakeSpaces spaces = new FakeSpaces();
  private final Javalin app;

  private FakeHub() {
    app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              config.jetty.host = "127.0.0.1";
              config.jetty.port = 0;
              config.routes.get("/api/settings/webhooks", ctx -> handle(ctx, this::list));
              config.routes.post("/api/settings/webhooks", ctx -> handle(ctx, this::create));
              config.routes.post("/api/settings/webhooks/{id}", ctx -> handle(ctx, this::update));
              config.routes.delete("/api/settings/webhooks/{id}", ctx -> handle(ctx, this::delete));
              String space = "/api/spaces/{owner}/{name}";
              config.routes.post("/api/repos/create", ctx -> handle(ctx, spaces::create));
              config.routes.get(space, ctx -> handle(ctx, spaces::info));
              config.routes.get(space + "/secrets", ctx -> handle(ctx, spaces::secrets));
              config.routes.post(space + "/secrets", ctx -> handle(ctx, spaces::setSecret));
              config.routes.get(space + "/tree/main", ctx -> handle(ctx, spaces::tree));
              config.routes.post(space + "/preupload/main", ctx -> handle(ctx, spaces::preupload));
              config.routes.post(space + "/commit/main", ctx -> handle(ctx, spaces::commit));
              config.routes.get(space + "/runtime", ctx -> handle(ctx, spaces::runtime));
              config.routes.get(space + "/logs/build", ctx -> handle(ctx, spaces::buildLog));
            });
  }

  public static FakeHub start() {
    FakeHub hub = new FakeHub();
    hub.app.start();
    return hub;
  }

  /** The value for HF_ENDPOINT. */
  public String url() {
    return "http://127.0.0.1:" + app.port();
  }

  /** The Spaces this Hub holds. */
  public FakeSpaces spaces() {
    return spaces;
  }

  /** Every call so far, in order. */
  public List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The calls so far with {@code method}. */
  public List<Call> calls(String method) {
    return calls.stream().filter(c -> c.method().equals(method)).toList();
  }

  /** Calls that change something: every POST and DELETE. */
  public List<Call> changes() {
    return calls.stream().filter(c -> !c.method().equals("GET")).toList();
  }

  /** The webhooks the Hub holds now, as its list would give them (secrets included). */
  public synchronized List<ObjectNode> webhooks() {
    return webhooks.values().stream().map(ObjectNode::deepCopy).toList();
  }

  /** A webhook that was there before the test: {@code watched} as {@code "type:name"}. */
  public synchronized String add(
      String url, List<String> watched, List<String> domains, String secret) {
    ObjectNode webhook = Json.object();
    ArrayNode items = webhook.putArray("watched");
    for (String item : watched) {
      String[] parts = item.split(":", 2);
      items.addObject().put("type", parts[0]).put("name", parts[1]);
    }
    webhook.put("url", url);
    ArrayNode list = webhook.putArray("domains");
    domains.forEach(list::add);
    webhook.put("secret", secret);
    webhook.put("disabled", false);
    return store(webhook);
  }

  /** Marks webhook {@code id} disabled, with {@code why} (true, or a reason the Hub gives). */
  public synchronized void disable(String id, Object why) {
    if (why instanceof String reason) {
      webhooks.get(id).put("disabled", reason);
    } else {
      webhooks.get(id).put("disabled", true);
    }
  }

  /** A repository, user or org ({@code "model:acme/nope"}) the Hub does not know. */
  public synchronized void doesNotKnow(String item) {
    unknown.add(item);
  }

  /** Leaves the secret field out of every answer, as a Hub that never shows secrets would. */
  public synchronized void hideSecrets() {
    showSecrets = false;
  }

  /** The next call that matches {@code when} gets this answer instead of the real one. */
  public synchronized void answer(
      Predicate<Call> when, int status, Map<String, String> headers, String body) {
    rules.add(new Rule(when, status, headers, body));
  }

  /** The next call gets this answer instead of the real one. */
  public void answerNext(int status, Map<String, String> headers, String body) {
    answer(c -> true, status, headers, body);
  }

  interface Route {
    void handle(Context ctx, Call call);
  }

  private void handle(Context ctx, Route route) {
    Call call =
        new Call(
            ctx.method().name(),
            ctx.path(),
            ctx.header("Authorization"),
            ctx.body() == null ? "" : ctx.body());
    calls.add(call);
    ctx.contentType("application/json");
    synchronized (this) {
      for (Rule rule : rules) {
        if (rule.when().test(call)) {
          rules.remove(rule);
          rule.headers().forEach(ctx::header);
          ctx.status(rule.status()).result(rule.body());
          return;
        }
      }
      String auth = call.authorization();
      if (auth == null
          || !(auth.equals("Bearer " + TOKEN) || auth.equals("Bearer " + READ_TOKEN))) {
        error(ctx, 401, "Invalid credentials in Authorization header");
        return;
      }
      if (auth.equals("Bearer " + READ_TOKEN) && !call.method().equals("GET")) {
        error(
            ctx,
            403,
            call.path().startsWith("/api/settings/webhooks")
                ? "You don't have the rights to manage webhooks with this token"
                : "You don't have write access to this repository with this token");
        return;
      }
      route.handle(ctx, call);
    }
  }

  private void list(Context ctx, Call call) {
    ArrayNode array = Json.MAPPER.createArrayNode();
    webhooks.values().forEach(w -> array.add(shown(w)));
    ctx.result(Json.write(array));
  }

  private void create(Context ctx, Call call) {
    ObjectNode webhook = Json.object();
    if (!valid(ctx, call.json(), webhook)) {
      return;
    }
    webhook.put("disabled", false);
    String id = store(webhook);
    ctx.result(Json.write(Json.object().set("webhook", shown(webhooks.get(id)))));
  }

  private void update(Context ctx, Call call) {
    ObjectNode webhook = webhooks.get(ctx.pathParam("id"));
    if (webhook == null) {
      error(ctx, 404, "Webhook not found");
      return;
    }
    ObjectNode updated = webhook.deepCopy();
    if (!valid(ctx, call.json(), updated)) {
      return;
    }
    webhooks.put(webhook.get("id").asText(), updated);
    ctx.result(Json.write(Json.object().set("webhook", shown(updated))));
  }

  private void delete(Context ctx, Call call) {
    if (webhooks.remove(ctx.pathParam("id")) == null) {
      error(ctx, 404, "Webhook not found");
      return;
    }
    ctx.result("{}");
  }

  /** Checks a create or update body as the Hub would, copying its fields into {@code into}. */
  private boolean valid(Context ctx, JsonNode body, ObjectNode into) {
    JsonNode watched = body.path("watched");
    if (!watched.isArray() || watched.isEmpty() || !body.path("url").isTextual()) {
      error(ctx, 400, "watched and url are required");
      return false;
    }
    for (JsonNode item : watched) {
      String key = item.path("type").asText() + ":" + item.path("name").asText();
      if (!Set.of("user", "org", "model", "dataset", "space")
          .contains(item.path("type").asText())) {
        error(ctx, 400, "Invalid watched type " + item.path("type"));
        return false;
      }
      if (unknown.contains(key)) {
        ctx.header("X-Error-Code", "RepoNotFound");
        error(ctx, 404, "Repository not found");
        return false;
      }
    }
    for (JsonNode domain : body.path("domains")) {
      if (!Set.of("repo", "discussion").contains(domain.asText())) {
        error(ctx, 400, "Invalid domain " + domain);
        return false;
      }
    }
    into.set("watched", watched.deepCopy());
    into.put("url", body.path("url").asText());
    into.set("domains", body.path("domains").deepCopy());
    if (body.has("secret")) {
      into.set("secret", body.get("secret").deepCopy());
    }
    return true;
  }

  private String store(ObjectNode webhook) {
    String id = "6543bbc16f2ec14d77f1%04x".formatted(nextId++); // 24 hex digits, as the Hub's
    ObjectNode stored = Json.object().put("id", id);
    stored.setAll(webhook);
    if (!stored.has("secret")) {
      stored.putNull("secret");
    }
    webhooks.put(id, stored);
    return id;
  }

  private ObjectNode shown(ObjectNode webhook) {
    ObjectNode copy = webhook.deepCopy();
    if (!showSecrets) {
      copy.remove("secret");
    }
    return copy;
  }

  static void error(Context ctx, int status, String message) {
    ctx.status(status).result(Json.write(Json.object().put("error", message)));
  }

  @Override
  public void close() {
    app.stop();
  }
}
