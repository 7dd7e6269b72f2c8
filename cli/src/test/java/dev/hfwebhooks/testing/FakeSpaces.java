package dev.hfwebhooks.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.hub.SpaceFile;
import dev.hfwebhooks.payload.Json;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Spaces half of the {@link FakeHub}: repositories made by {@code POST /api/repos/create}, with
 * files changed only through preupload and the NDJSON commit, secrets, and a runtime that goes
 * through the stages a real build does, one stage per read. Answers have the shapes
 * huggingface_hub's {@code hf_api.py} reads (see {@code ../shared/facts/space-deploy.md}).
 */
public final class FakeSpaces {
  /** One Space as the fake Hub holds it. */
  public static final class Space {
    public final boolean isPrivate;

    /** Its files at the head of main, by path. */
    public final Map<String, byte[]> files = new TreeMap<>();

    /** Its secrets, with their values (the API never shows them). */
    public final Map<String, String> secrets = new LinkedHashMap<>();

    /** The summaries of its commits, oldest first. */
    public final List<String> commits = new ArrayList<>();

    String head;
    String stage = "NO_APP_FILE";
    String sha;
    String errorMessage;
    final Deque<String> next = new ArrayDeque<>();
    List<String> buildLog = List.of();

    Space(boolean isPrivate) {
      this.isPrivate = isPrivate;
    }

    public String file(String path) {
      byte[] content = files.get(path);
      return content == null ? null : new String(content, StandardCharsets.UTF_8);
    }

    public String stage() {
      return stage;
    }

    /** Puts the Space in {@code stage} (PAUSED, SLEEPING...), where it stays. */
    public void stage(String stage) {
      this.stage = stage;
      next.clear();
    }
  }

  private final Map<String, Space> spaces = new LinkedHashMap<>();
  private int commitCount;
  private String failNextBuild;
  private List<String> failingLog = List.of();
  private int treePage = 1000;

  /** The Space {@code id}, or null. */
  public synchronized Space space(String id) {
    return spaces.get(id);
  }

  /** A Space that was there before the test, running, with the files a Hub starts one with. */
  public synchronized Space add(String id, boolean isPrivate) {
    Space space = new Space(isPrivate);
    space.files.put(".gitattributes", "*.bin filter=lfs\n".getBytes(StandardCharsets.UTF_8));
    space.head = nextCommit();
    space.stage = "RUNNING";
    space.sha = space.head;
    spaces.put(id, space);
    return space;
  }

  /** The next build fails with {@code message} and the log {@code lines}. */
  public synchronized void failNextBuild(String message, List<String> lines) {
    failNextBuild = message;
    failingLog = lines;
  }

  /** Lists trees {@code size} entries a page, linking the next as the Hub does. */
  public synchronized void pageTreesBy(int size) {
    treePage = size;
  }

  private String nextCommit() {
    return new SpaceFile("", ("commit " + ++commitCount).getBytes(StandardCharsets.UTF_8)).gitOid();
  }

  private static String id(Context ctx) {
    return ctx.pathParam("owner") + "/" + ctx.pathParam("name");
  }

  /** The Space the path names, or a 404 as the Hub gives it (with RepoNotFound) and null. */
  private Space found(Context ctx) {
    Space space = spaces.get(id(ctx));
    if (space == null) {
      ctx.header("X-Error-Code", "RepoNotFound");
      FakeHub.error(ctx, 404, "Repository not found");
    }
    return space;
  }

  void info(Context ctx, FakeHub.Call call) {
    Space space = found(ctx);
    if (space != null) {
      ctx.result(
          Json.write(
              Json.object()
                  .put("id", id(ctx))
                  .put("private", space.isPrivate)
                  .put("sdk", "docker")));
    }
  }

  void create(Context ctx, FakeHub.Call call) {
    JsonNode body = call.json();
    if (!body.path("type").asText().equals("space") || !body.path("sdk").isTextual()) {
      FakeHub.error(ctx, 400, "sdk is required for Spaces");
      return;
    }
    String id = body.path("organization").asText() + "/" + body.path("name").asText();
    if (spaces.containsKey(id)) {
      FakeHub.error(ctx, 409, "You already created this space repo");
      return;
    }
    Space space = new Space(body.path("visibility").asText().equals("private"));
    space.files.put(".gitattributes", "*.bin filter=lfs\n".getBytes(StandardCharsets.UTF_8));
    space.head = nextCommit();
    spaces.put(id, space);
    ctx.result(
        Json.write(
            Json.object()
                .put("url", "https://huggingface.co/spaces/" + id)
                .put("name", id)
                .put("id", "66aa00bb11cc22dd33ee44ff")));
  }

  void secrets(Context ctx, FakeHub.Call call) {
    Space space = found(ctx);
    if (space != null) {
      ObjectNode names = Json.object();
      space
          .secrets
          .keySet()
          .forEach(k -> names.putObject(k).put("updatedAt", "2026-12-04T00:00:00Z"));
      ctx.result(Json.write(names));
    }
  }

  void setSecret(Context ctx, FakeHub.Call call) {
    Space space = found(ctx);
    if (space != null) {
      space.secrets.put(call.json().path("key").asText(), call.json().path("value").asText());
      restart(space, List.of("APP_STARTING", "RUNNING"));
      ctx.result("{}");
    }
  }

  void tree(Context ctx, FakeHub.Call call) {
    Space space = found(ctx);
    if (space == null) {
      return;
    }
    List<String> paths = new ArrayList<>(space.files.keySet());
    int from = ctx.queryParam("cursor") == null ? 0 : Integer.parseInt(ctx.queryParam("cursor"));
    int to = Math.min(paths.size(), from + treePage);
    ArrayNode entries = Json.MAPPER.createArrayNode();
    for (String path : paths.subList(from, to)) {
      byte[] content = space.files.get(path);
      entries
          .addObject()
          .put("type", "file")
          .put("oid", new SpaceFile(path, content).gitOid())
          .put("size", content.length)
          .put("path", path);
    }
    if (to < paths.size()) {
      ctx.header(
          "Link",
          "<" + ctx.fullUrl().replaceAll("&cursor=\\d+", "") + "&cursor=" + to + ">; rel=\"next\"");
    }
    ctx.result(Json.write(entries));
  }

  void preupload(Context ctx, FakeHub.Call call) {
    Space space = found(ctx);
    if (space == null) {
      return;
    }
    ArrayNode files = Json.MAPPER.createArrayNode();
    for (JsonNode file : call.json().path("files")) {
      byte[] sample = Base64.getDecoder().decode(file.path("sample").asText());
      boolean binary = new String(sample, StandardCharsets.ISO_8859_1).indexOf('\0') >= 0;
      ObjectNode answer =
          files
              .addObject()
              .put("path", file.path("path").asText())
              .put("uploadMode", binary ? "lfs" : "regular")
              .put("shouldIgnore", false);
      byte[] existing = space.files.get(file.path("path").asText());
      if (existing != null) {
        answer.put("oid", new SpaceFile("", existing).gitOid());
      }
    }
    ctx.result(Json.write(Json.object().put("commitOid", space.head).set("files", files)));
  }

  void commit(Context ctx, FakeHub.Call call) {
    Space space = found(ctx);
    if (space == null) {
      return;
    }
    if (!"application/x-ndjson".equals(ctx.contentType())) {
      FakeHub.error(ctx, 400, "expected application/x-ndjson");
      return;
    }
    String[] lines = call.body().lines().toArray(String[]::new);
    JsonNode header = Json.tryParse(lines[0]).orElse(Json.MAPPER.missingNode());
    if (!header.path("key").asText().equals("header")) {
      FakeHub.error(ctx, 400, "the first line must be the header");
      return;
    }
    String parent = header.path("value").path("parentCommit").asText(null);
    if (parent != null && !parent.equals(space.head)) {
      FakeHub.error(ctx, 412, "The branch was updated since you opened this page. Please reload.");
      return;
    }
    for (int i = 1; i < lines.length; i++) {
      JsonNode line = Json.tryParse(lines[i]).orElse(Json.MAPPER.missingNode());
      JsonNode value = line.path("value");
      switch (line.path("key").asText()) {
        case "file" ->
            space.files.put(
                value.path("path").asText(),
                Base64.getDecoder().decode(value.path("content").asText()));
        case "deletedFile" -> space.files.remove(value.path("path").asText());
        default -> {
          FakeHub.error(ctx, 400, "unknown line " + lines[i]);
          return;
        }
      }
    }
    space.head = nextCommit();
    space.commits.add(header.path("value").path("summary").asText());
    space.sha = space.head;
    if (failNextBuild != null) {
      space.errorMessage = failNextBuild;
      space.buildLog = failingLog;
      failNextBuild = null;
      restart(space, List.of("BUILDING", "BUILD_ERROR"));
    } else {
      space.errorMessage = null;
      restart(space, List.of("BUILDING", "BUILDING", "APP_STARTING", "RUNNING"));
    }
    String id = id(ctx);
    ctx.result(
        Json.write(
            Json.object()
                .put("success", true)
                .put("commitOid", space.head)
                .put("commitUrl", "https://huggingface.co/spaces/" + id + "/commit/" + space.head)
                .put("hookOutput", "")));
  }

  /** The stages the Space goes through next, one per runtime read. */
  private static void restart(Space space, List<String> stages) {
    space.next.clear();
    space.next.addAll(stages);
  }

  void runtime(Context ctx, FakeHub.Call call) {
    Space space = found(ctx);
    if (space == null) {
      return;
    }
    if (!space.next.isEmpty()) {
      space.stage = space.next.removeFirst();
    }
    ObjectNode runtime = Json.object().put("stage", space.stage);
    runtime.putObject("hardware").putNull("current").put("requested", "cpu-basic");
    runtime.put("sha", space.sha);
    if (space.errorMessage != null && space.stage.endsWith("_ERROR")) {
      runtime.put("errorMessage", space.errorMessage);
    }
    String host = id(ctx).toLowerCase(Locale.ROOT).replaceAll("[/._]", "-") + ".hf.space";
    runtime.putArray("domains").addObject().put("domain", host).put("stage", "READY");
    ctx.result(Json.write(runtime));
  }

  void buildLog(Context ctx, FakeHub.Call call) {
    Space space = found(ctx);
    if (space == null) {
      return;
    }
    ctx.contentType("text/event-stream");
    StringBuilder events = new StringBuilder();
    for (String line : space.buildLog) {
      events
          .append("data: ")
          .append(
              Json.write(
                  Json.object().put("data", line + "\n").put("timestamp", "2026-12-04T00:00:00Z")))
          .append("\n\n");
    }
    ctx.result(events.toString());
  }
}
