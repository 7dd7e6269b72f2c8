package dev.hfwebhooks.deploy;

import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.hub.HubClient;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.HubHttp;
import dev.hfwebhooks.hub.HubWebhook;
import dev.hfwebhooks.hub.PartialSyncException;
import dev.hfwebhooks.hub.SpaceApi;
import dev.hfwebhooks.hub.SpaceFile;
import dev.hfwebhooks.hub.SpaceId;
import dev.hfwebhooks.hub.Sync;
import dev.hfwebhooks.hub.WebhookSpec;
import java.io.FilterWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * {@code hf-webhooks deploy}: makes a Space serve a handlers folder, in five steps that each print
 * one line: create the Space, set its {@code WEBHOOK_SECRET}, commit what changed, follow the
 * build, register the handlers' webhooks on the Space's URL. Run again, it changes only what
 * differs; with {@code dryRun} it reads from the Hub and changes nothing.
 */
public final class Deployment {
  /** The Space secret the image's {@code serve} reads. */
  static final String SECRET_NAME = "WEBHOOK_SECRET";

  /**
   * What to deploy and how.
   *
   * @param secret the webhook secret to use, or null to keep the last one (or generate one)
   * @param pollEvery how often to read the Space's state while it builds
   * @param buildTimeout how long to wait for it to run
   */
  public record Options(
      SpaceId space,
      @Nullable String secret,
      boolean isPrivate,
      boolean dryRun,
      boolean register,
      Duration pollEvery,
      Duration buildTimeout) {}

  /** The deployment stopped; the message is the one line to show. */
  public static final class Failed extends Exception {
    private final @Nullable HubException hubError;

    Failed(@Nullable String message, @Nullable HubException hubError) {
      super(message, hubError);
      this.hubError = hubError;
    }

    /** The Hub's error behind it, or null when the Space itself failed. */
    public @Nullable HubException hubError() {
      return hubError;
    }
  }

  /** Where the secret came from, for the line that says so. */
  private record Secret(String value, String origin, boolean known) {}

  private final Options options;
  private final HubHttp http;
  private final SpaceApi api;
  private final SpaceFiles files;
  private final List<Directives.Declared> handlers;
  private final SecretStore secrets;
  private final PrintWriter out;

  /** Whether the last thing printed ended its line; a step that fails mid-line ends it. */
  private boolean atLineStart = true;

  public Deployment(
      Options options,
      HubHttp http,
      SpaceFiles files,
      List<Directives.Declared> handlers,
      SecretStore secrets,
      PrintWriter out) {
    this.options = options;
    this.http = http;
    this.api = new SpaceApi(http);
    this.files = files;
    this.handlers = handlers;
    this.secrets = secrets;
    this.out =
        new PrintWriter(
            new FilterWriter(out) {
              @Override
              public void write(int c) throws IOException {
                super.write(c);
                atLineStart = c == '\n';
              }

              @Override
              public void write(char[] chars, int offset, int length) throws IOException {
                super.write(chars, offset, length);
                if (length > 0) {
                  atLineStart = chars[offset + length - 1] == '\n';
                }
              }

              @Override
              public void write(String text, int offset, int length) throws IOException {
                super.write(text, offset, length);
                if (length > 0) {
                  atLineStart = text.charAt(offset + length - 1) == '\n';
                }
              }
            },
            true);
  }

  /** Runs the steps; the public URL of the Space when it serves. */
  public String run() throws HubException, Failed, IOException {
    try {
      return steps();
    } finally {
      if (!atLineStart) {
        out.println("failed"); // the step on this line did not finish; the error says why
      }
      out.flush();
    }
  }

  private String steps() throws HubException, Failed, IOException {
    SpaceId space = options.space();
    String page = space.pageUrl(http.endpoint());
    boolean dry = options.dryRun();

    // 1. The Space.
    out.printf("%s Space %s (Docker)... ", dry ? "Checking" : "Creating", space);
    out.flush();
    Optional<SpaceApi.Info> info = api.info(space);
    boolean exists = info.isPresent();
    String visibility = options.isPrivate() ? "private" : "public";
    if (exists) {
      out.println("exists" + (info.get().isPrivate() ? " (private)" : ""));
    } else if (dry) {
      out.println("would create it (" + visibility + ")");
    } else {
      out.println(
          api.create(space, visibility) == SpaceApi.Creation.CREATED ? "created" : "exists");
      exists = true;
    }
    if (options.isPrivate() || info.map(SpaceApi.Info::isPrivate).orElse(false)) {
      out.println(
          "  warning: the Hub cannot deliver webhooks to a private Space (its URL answers 404 to"
              + " everyone but you): make it public on "
              + page
              + "/settings");
    }

    // 2. The secret.
    Secret secret = secret(space, exists);
    boolean setSecret = !(secret.known() && exists && api.secretNames(space).contains(SECRET_NAME));
    out.print("Setting the secret " + SECRET_NAME + "... ");
    if (!setSecret) {
      out.println("unchanged (" + secret.origin() + ")");
    } else if (dry) {
      out.println("would set it (" + secret.origin() + ")");
    } else {
      out.flush();
      api.setSecret(space, SECRET_NAME, secret.value(), "Checks the Hub's X-Webhook-Secret");
      out.println("done (" + secret.origin() + "; the Space and the webhooks share it)");
    }
    if (!dry) {
      secrets.remember(http.endpoint(), space, secret.value());
    }

    // 3. The files.
    SpaceApi.@Nullable Commit commit = upload(space, exists);

    // 4. The build.
    String base = "https://" + space.defaultHost();
    if (dry) {
      out.println("Building... would wait for the Space to build and run");
    } else {
      try {
        SpaceApi.Runtime runtime =
            new SpaceBuild(api, space, page, out, options.pollEvery(), options.buildTimeout())
                .await(commit == null ? null : commit.oid(), commit != null || setSecret);
        if (!runtime.hosts().isEmpty()) {
          base = "https://" + runtime.hosts().getFirst();
        }
      } catch (SpaceBuild.Failed e) {
        if (!e.log.isEmpty()) {
          out.println("The build log ends:");
          e.log.forEach(line -> out.println("  | " + line));
        }
        out.flush();
        throw new Failed(e.getMessage(), null);
      }
    }

    // 5. The webhooks.
    if (options.register()) {
      register(base, secret.value());
    }
    out.println(base + "  (console at /, deliveries at /api/deliveries)");
    out.flush();
    return base;
  }

  /**
   * The secret to use: the one given, else the one this user's last deploy set, else the one the
   * Space's webhooks carry (a deploy from another machine), else a new random one.
   */
  private Secret secret(SpaceId space, boolean exists) throws IOException, HubException {
    Optional<String> kept = secrets.recall(http.endpoint(), space);
    if (options.secret() != null) {
      boolean same = kept.map(options.secret()::equals).orElse(false);
      return new Secret(options.secret(), "from --secret", same);
    }
    if (kept.isPresent()) {
      return new Secret(kept.get(), "kept from the last deploy", true);
    }
    if (exists) {
      String prefix = "https://" + space.defaultHost() + "/webhooks/";
      // (The client is not closed: it shares this deployment's connection to the Hub.)
      Optional<String> shared =
          new HubClient(http)
              .list().stream()
                  .filter(w -> w.url() != null && w.url().startsWith(prefix) && w.secret() != null)
                  .map(HubWebhook::secret)
                  .findFirst();
      if (shared.isPresent()) {
        return new Secret(shared.get(), "kept from the Space's webhooks", true);
      }
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    return new Secret(HexFormat.of().formatHex(random), "generated", false);
  }

  /**
   * Commits the files that differ from the Space's and deletes the handlers it has that the folder
   * no longer does; null when nothing differs. A branch that moved meanwhile (412) is read again
   * and the commit tried once more.
   */
  private SpaceApi.@Nullable Commit upload(SpaceId space, boolean exists)
      throws HubException, Failed {
    for (int attempt = 1; ; attempt++) {
      Map<String, String> remote = exists ? api.files(space) : Map.of();
      List<SpaceFile> changed =
          files.files().stream().filter(f -> !f.gitOid().equals(remote.get(f.path()))).toList();
      Set<String> local = files.files().stream().map(SpaceFile::path).collect(Collectors.toSet());
      List<String> deleted =
          remote.keySet().stream()
              .filter(p -> p.startsWith(SpaceFiles.HANDLERS) && !local.contains(p))
              .sorted()
              .toList();
      if (changed.isEmpty() && deleted.isEmpty()) {
        out.println("Uploading... up to date (no commit)");
        return null;
      }
      out.print("Uploading " + summary(changed, deleted) + "... ");
      if (options.dryRun()) {
        out.println("would commit");
        return null;
      }
      out.flush();
      SpaceApi.Preupload preupload = api.preupload(space, changed);
      if (!preupload.lfs().isEmpty()) {
        throw new Failed(
            "the Hub takes %s only through Git LFS, which deploy does not send: keep large or"
                    .formatted(String.join(", ", preupload.lfs()))
                + " binary files out of the handlers folder (download them when the handler"
                + " starts), or push them to the Space with git",
            null);
      }
      List<SpaceFile> sent =
          changed.stream().filter(f -> !preupload.ignored().contains(f.path())).toList();
      try {
        SpaceApi.Commit commit =
            api.commit(space, summary(sent, deleted), preupload.head(), sent, deleted);
        out.println("commit " + commit.shortOid());
        if (!preupload.ignored().isEmpty()) {
          out.println(
              "  warning: the Space's .gitignore leaves out "
                  + String.join(", ", preupload.ignored()));
        }
        return commit;
      } catch (HubException e) {
        if (e.kind() != HubException.Kind.CHANGED_MEANWHILE || attempt > 1) {
          throw e;
        }
        out.println("the Space changed meanwhile; again");
      }
    }
  }

  /** "3 files (Dockerfile, README.md, handlers/...), deleting handlers/old.sh". */
  private static String summary(List<SpaceFile> changed, List<String> deleted) {
    List<String> parts = new ArrayList<>();
    if (!changed.isEmpty()) {
      List<String> names = new ArrayList<>();
      changed.stream()
          .map(SpaceFile::path)
          .filter(p -> !p.startsWith(SpaceFiles.HANDLERS))
          .forEach(names::add);
      List<String> inHandlers =
          changed.stream()
              .map(SpaceFile::path)
              .filter(p -> p.startsWith(SpaceFiles.HANDLERS))
              .toList();
      if (inHandlers.size() > 3) {
        names.add(SpaceFiles.HANDLERS + "... (" + inHandlers.size() + ")");
      } else {
        names.addAll(inHandlers);
      }
      parts.add(
          changed.size()
              + (changed.size() == 1 ? " file" : " files")
              + " ("
              + String.join(", ", names)
              + ")");
    }
    if (!deleted.isEmpty()) {
      parts.add("deleting " + String.join(", ", deleted));
    }
    return String.join(", ", parts);
  }

  /** Step 5: the webhooks under the Space's URL, as {@code hub sync --prune} leaves them. */
  private void register(String base, String secret) throws HubException {
    List<WebhookSpec> specs = new ArrayList<>();
    for (Directives.Declared d : handlers) {
      d.watch()
          .ifPresent(
              w -> specs.add(WebhookSpec.of(base, d.file().name(), d.file().path(), w, secret)));
    }
    Set<String> names = handlers.stream().map(d -> d.file().name()).collect(Collectors.toSet());
    out.print("Registering webhooks on " + base + ": ");
    out.flush();
    HubClient webhooks = new HubClient(http); // not closed: it shares the connection
    try {
      Sync.Plan plan = Sync.plan(base, specs, names, webhooks.list(), true);
      if (plan.steps().isEmpty()) {
        out.println("none (no handler declares @watch)");
        return;
      }
      if (options.dryRun()) {
        out.println(
            plan.steps().stream()
                .map(
                    s ->
                        s instanceof Sync.Keep
                            ? Sync.verb(s, true)
                            : "would " + Sync.verb(s, false))
                .collect(Collectors.joining(", ")));
        return;
      }
      List<String> done = new ArrayList<>();
      try {
        Sync.apply(plan, webhooks, (step, result) -> done.add(Sync.verb(step, true)));
      } catch (PartialSyncException e) {
        out.println(String.join(", ", done));
        throw new HubException(e.hubError().kind(), e.getMessage(), e.hubError());
      }
      out.println(String.join(", ", done));
    } finally {
      out.flush();
    }
  }
}
