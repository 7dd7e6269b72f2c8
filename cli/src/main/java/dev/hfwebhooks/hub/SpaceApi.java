package dev.hfwebhooks.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.payload.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The Hub's Space and repository API, called as huggingface_hub's {@code hf_api.py} calls it (each
 * method names its endpoint). Every failure is a {@link HubException} with one line that says what
 * to do.
 */
public final class SpaceApi {
  /** What creating a Space found. */
  public enum Creation {
    CREATED,
    EXISTS
  }

  /** What the Hub tells about a Space: {@code GET /api/spaces/{id}}. */
  public record Info(boolean isPrivate, String sdk) {}

  /**
   * A Space's runtime: {@code GET /api/spaces/{id}/runtime}.
   *
   * @param stage BUILDING, RUNNING, BUILD_ERROR... (huggingface_hub's {@code SpaceStage})
   * @param errorMessage why it failed, when it did
   * @param sha the commit it runs or builds, when the Hub says
   * @param hosts its non-custom domains, such as {@code acme-hooks.hf.space}
   */
  @SuppressWarnings("JavaLangClash") // always named SpaceApi.Runtime outside this class
  public record Runtime(
      String stage, @Nullable String errorMessage, @Nullable String sha, List<String> hosts) {
    /**
     * Stages that end by themselves; huggingface_hub's {@code wait_for_space} polls through them.
     */
    public boolean inProgress() {
      return Set.of("BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING")
          .contains(stage);
    }

    public boolean running() {
      return stage.equals("RUNNING");
    }

    /** Stages that need the user: the build or the app failed, or the config is wrong. */
    public boolean failed() {
      return Set.of("BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE").contains(stage);
    }
  }

  /**
   * What preupload says of the files about to be committed.
   *
   * @param head the commit the branch is at, the commit's parent
   * @param lfs the paths the Hub wants through Git LFS
   * @param ignored the paths the Hub would ignore (its .gitignore)
   */
  public record Preupload(@Nullable String head, List<String> lfs, Set<String> ignored) {}

  /** A commit made: its id and its page. */
  public record Commit(String oid, String url) {
    public String shortOid() {
      return oid.length() > 7 ? oid.substring(0, 7) : oid;
    }
  }

  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

  private final HubHttp http;

  public SpaceApi(HubHttp http) {
    this.http = http;
  }

  /**
   * {@code GET /api/spaces/{id}}; empty when there is no such Space (or the token cannot see it).
   */
  public Optional<Info> info(SpaceId id) throws HubException {
    String what = "look up the Space " + id;
    HubHttp.Answer answer = http.exchange("GET", id.apiPath(), null, null, what);
    if (answer.status() == 404
        || (answer.status() == 401 && answer.header("X-Error-Code").isPresent())) {
      return Optional.empty();
    }
    if (!answer.ok()) {
      throw http.failure(answer, what);
    }
    JsonNode info = http.parse(answer, what);
    return Optional.of(
        new Info(info.path("private").asBoolean(false), info.path("sdk").asText("")));
  }

  /**
   * {@code POST /api/repos/create} with {@code {name, organization, type: "space", sdk: "docker",
   * visibility}}. A 409 means it exists, which is fine; so is a 401, 402 or 403 when the Space is
   * there anyway (huggingface_hub's {@code create_repo(exist_ok=True)} checks the same way).
   */
  public Creation create(SpaceId id, String visibility) throws HubException {
    String what = "create the Docker Space " + id;
    ObjectNode body =
        Json.object()
            .put("name", id.name())
            .put("organization", id.owner())
            .put("type", "space")
            .put("sdk", "docker")
            .put("visibility", visibility);
    HubHttp.Answer answer =
        http.exchange("POST", "/api/repos/create", "application/json", bytes(body), what);
    if (answer.ok()) {
      return Creation.CREATED;
    }
    if (answer.status() == 409) {
      return Creation.EXISTS;
    }
    if (Set.of(401, 402, 403).contains(answer.status()) && info(id).isPresent()) {
      return Creation.EXISTS;
    }
    if (answer.status() == 402) {
      throw new HubException(
          HubException.Kind.PAYMENT_REQUIRED,
          "the Hub will not %s on your plan (402%s): Docker Spaces need a PRO or Team account"
                  .formatted(what, said(answer))
              + " (https://huggingface.co/pricing), or create the Space by hand on hardware your"
              + " plan allows and run deploy again");
    }
    throw http.failure(answer, what);
  }

  /**
   * {@code GET /api/spaces/{id}/secrets}: the names of its secrets (the Hub never shows values).
   */
  public Set<String> secretNames(SpaceId id) throws HubException {
    String what = "list the secrets of " + id;
    JsonNode secrets = http.json("GET", id.apiPath() + "/secrets", null, what);
    if (!secrets.isObject() && !secrets.isMissingNode()) {
      throw http.unexpected(what, "an object of secret names", secrets);
    }
    Set<String> names = new LinkedHashSet<>();
    secrets.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** {@code POST /api/spaces/{id}/secrets {key, value, description}}: adds or replaces it. */
  public void setSecret(SpaceId id, String key, String value, String description)
      throws HubException {
    ObjectNode body =
        Json.object().put("key", key).put("value", value).put("description", description);
    http.json("POST", id.apiPath() + "/secrets", body, "set the secret " + key + " of " + id);
  }

  /**
   * {@code GET /api/spaces/{id}/tree/main?recursive=true}, page after page (the {@code Link}
   * header's next, on this Hub only): every file's path and git blob id.
   */
  public Map<String, String> files(SpaceId id) throws HubException {
    String what = "list the files of " + id;
    Map<String, String> files = new LinkedHashMap<>();
    String path = id.apiPath() + "/tree/main?recursive=true";
    while (path != null) {
      HubHttp.Answer answer = http.exchange("GET", path, null, null, what);
      if (!answer.ok()) {
        throw http.failure(answer, what);
      }
      JsonNode entries = http.parse(answer, what);
      if (!entries.isArray()) {
        throw http.unexpected(what, "a JSON array", entries);
      }
      for (JsonNode entry : entries) {
        if (entry.path("type").asText().equals("file")) {
          files.put(entry.path("path").asText(), entry.path("oid").asText());
        }
      }
      path = next(answer);
    }
    return files;
  }

  /** The next page's path, when the Hub links one on its own host. */
  private @Nullable String next(HubHttp.Answer answer) {
    Matcher link = NEXT_LINK.matcher(answer.header("Link").orElse(""));
    if (!link.find()) {
      return null;
    }
    String url = link.group(1);
    if (url.startsWith("/")) {
      return url;
    }
    // The token goes only to the Hub it was meant for.
    return url.startsWith(http.endpoint() + "/") ? url.substring(http.endpoint().length()) : null;
  }

  /**
   * {@code POST /api/spaces/{id}/preupload/main {"files": [{path, size, sample}]}}, the sample
   * being the first 512 bytes in base64: how the Hub wants each file sent, and the branch's head.
   */
  public Preupload preupload(SpaceId id, List<SpaceFile> files) throws HubException {
    String what = "prepare the upload to " + id;
    ObjectNode body = Json.object();
    ArrayNode list = body.putArray("files");
    for (SpaceFile file : files) {
      byte[] sample = Arrays.copyOf(file.content(), Math.min(512, file.content().length));
      list.addObject()
          .put("path", file.path())
          .put("size", file.content().length)
          .put("sample", Base64.getEncoder().encodeToString(sample));
    }
    JsonNode answer = http.json("POST", id.apiPath() + "/preupload/main", body, what);
    if (!answer.path("files").isArray()) {
      throw http.unexpected(what, "a list of files", answer);
    }
    List<String> lfs = new ArrayList<>();
    Set<String> ignored = new LinkedHashSet<>();
    for (JsonNode file : answer.path("files")) {
      if (file.path("shouldIgnore").asBoolean(false)) {
        ignored.add(file.path("path").asText());
      } else if (file.path("uploadMode").asText().equals("lfs")) {
        lfs.add(file.path("path").asText());
      }
    }
    return new Preupload(answer.path("commitOid").asText(null), lfs, ignored);
  }

  /**
   * {@code POST /api/spaces/{id}/commit/main}, {@code application/x-ndjson}: a header line {@code
   * {summary, description, parentCommit}}, then a {@code "file"} line per file ({@code content} in
   * base64) and a {@code deletedFile} line per path to delete. The parent makes the Hub refuse
   * (412) a commit onto a branch that moved since {@link #preupload}.
   */
  public Commit commit(
      SpaceId id,
      String summary,
      @Nullable String parent,
      List<SpaceFile> files,
      List<String> deleted)
      throws HubException {
    String what = "commit to " + id;
    StringBuilder lines = new StringBuilder();
    ObjectNode header = Json.object().put("summary", summary).put("description", "");
    if (parent != null) {
      header.put("parentCommit", parent);
    }
    line(lines, "header", header);
    for (SpaceFile file : files) {
      line(
          lines,
          "file",
          Json.object()
              .put("content", Base64.getEncoder().encodeToString(file.content()))
              .put("path", file.path())
              .put("encoding", "base64"));
    }
    for (String path : deleted) {
      line(lines, "deletedFile", Json.object().put("path", path));
    }
    HubHttp.Answer answer =
        http.exchange(
            "POST",
            id.apiPath() + "/commit/main",
            "application/x-ndjson",
            lines.toString().getBytes(StandardCharsets.UTF_8),
            what);
    if (!answer.ok()) {
      throw http.failure(answer, what);
    }
    JsonNode commit = http.parse(answer, what);
    if (!commit.path("commitOid").isTextual()) {
      throw http.unexpected(what, "a commitOid", commit);
    }
    return new Commit(commit.path("commitOid").asText(), commit.path("commitUrl").asText(""));
  }

  private static void line(StringBuilder lines, String key, ObjectNode value) {
    lines.append(Json.write(Json.object().put("key", key).set("value", value))).append('\n');
  }

  /** {@code GET /api/spaces/{id}/runtime}. */
  public Runtime runtime(SpaceId id) throws HubException {
    String what = "read the state of " + id;
    JsonNode runtime = http.json("GET", id.apiPath() + "/runtime", null, what);
    if (!runtime.path("stage").isTextual()) {
      throw http.unexpected(what, "a runtime with a stage", runtime);
    }
    List<String> hosts = new ArrayList<>();
    for (JsonNode domain : runtime.path("domains")) {
      if (!domain.path("isCustom").asBoolean(false) && domain.path("domain").isTextual()) {
        hosts.add(domain.path("domain").asText());
      }
    }
    return new Runtime(
        runtime.path("stage").asText(),
        runtime.path("errorMessage").isTextual() ? runtime.path("errorMessage").asText() : null,
        runtime.path("sha").isTextual() ? runtime.path("sha").asText() : null,
        hosts);
  }

  /**
   * The last {@code count} lines of {@code GET /api/spaces/{id}/logs/build}, a stream of {@code
   * data: {"data": ..., "timestamp": ...}} events, read for at most {@code within} (the Hub keeps
   * it open while a build runs). Empty when the Hub has no log to give.
   */
  public List<String> buildLog(SpaceId id, int count, Duration within) throws HubException {
    InputStream stream =
        http.stream(id.apiPath() + "/logs/build", within, "read the build log of " + id);
    if (stream == null) {
      return List.of();
    }
    Deque<String> tail = new ArrayDeque<>();
    Thread reader =
        Thread.ofPlatform()
            .daemon()
            .name("build-log")
            .start(
                () -> {
                  try (BufferedReader lines =
                      new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    for (String line; (line = lines.readLine()) != null; ) {
                      if (!line.startsWith("data:")) {
                        continue;
                      }
                      JsonNode event = Json.tryParse(line.substring(5).strip()).orElse(null);
                      String text =
                          event != null ? event.path("data").asText("") : line.substring(5).strip();
                      for (String part : text.split("\\R", -1)) {
                        if (!part.isBlank()) {
                          synchronized (tail) {
                            tail.addLast(http.hide(part.stripTrailing()));
                            if (tail.size() > count) {
                              tail.removeFirst();
                            }
                          }
                        }
                      }
                    }
                  } catch (IOException e) {
                    // Closed after the wait, or the Hub hung up: what was read is the tail.
                  }
                });
    try {
      reader.join(within);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      stream.close();
    } catch (IOException e) {
      // Nothing more to read either way.
    }
    synchronized (tail) {
      return List.copyOf(tail);
    }
  }

  private String said(HubHttp.Answer answer) {
    String said = http.said(answer);
    return said.isEmpty() ? "" : ": " + said;
  }

  private static byte[] bytes(JsonNode body) {
    return Json.write(body).getBytes(StandardCharsets.UTF_8);
  }
}
