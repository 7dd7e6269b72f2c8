package dev.hfwebhooks.command;

import dev.hfwebhooks.deploy.Deployment;
import dev.hfwebhooks.deploy.SecretStore;
import dev.hfwebhooks.deploy.SpaceFiles;
import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.HubHttp;
import dev.hfwebhooks.hub.SpaceId;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hf-webhooks deploy SPACE_ID}: a Space that serves the handlers folder, in one command. */
@Command(
    name = "deploy",
    mixinStandardHelpOptions = true,
    description = {
      "Make the Hugging Face Space OWNER/NAME serve the handlers: create it (Docker SDK), set its"
          + " WEBHOOK_SECRET, upload what changed (README.md, Dockerfile, handlers/), wait until it"
          + " runs, and register the handlers' @watch webhooks on its URL. Run again, it changes"
          + " only what differs.",
      "The token comes from HF_TOKEN, else from `huggingface-cli login`; the Hub from HF_ENDPOINT.",
      "Exit 0 when the Space runs the handlers, 1 when the Hub, the network or the Space's build"
          + " failed, 2 for bad usage, a malformed directive, or a missing or refused token."
    })
final class DeployCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @ParentCommand HfWebhooksCommand root;

  @Parameters(paramLabel = "OWNER/NAME", description = "The Space, such as acme/hooks.")
  String space;

  @Option(
      names = "--secret",
      paramLabel = "SECRET",
      description =
          "Webhook secret shared by the Space and its webhooks (default: the one the last deploy"
              + " of this Space set, else a new random one).")
  @Nullable String secret;

  static final class Visibility {
    @Option(
        names = "--private",
        description =
            "Create the Space private (the Hub cannot deliver webhooks to a private Space).")
    boolean isPrivate;

    @Option(names = "--public", description = "Create the Space public (the default).")
    boolean isPublic;
  }

  @ArgGroup(exclusive = true)
  @Nullable Visibility visibility; // picocli leaves a group null when none of its options is given

  @Option(
      names = "--image",
      paramLabel = "IMAGE",
      description =
          "The hf-webhooks image the Space's Dockerfile starts from (default: ${DEFAULT-VALUE}).")
  String image = SpaceFiles.defaultImage();

  @Option(
      names = "--no-register",
      negatable = false,
      description = "Do not create or update the webhooks.")
  boolean noRegister;

  @Option(
      names = "--dry-run",
      description = "Say what would change, reading from the Hub but changing nothing.")
  boolean dryRun;

  @Option(
      names = "--export",
      paramLabel = "DIR",
      description =
          "Write the Space's files (README.md, Dockerfile, handlers/) into the new or empty folder"
              + " DIR and stop, without calling the Hub: `docker build DIR` builds what the Space"
              + " would run.")
  @Nullable Path export;

  @Option(
      names = "--build-timeout",
      paramLabel = "DURATION",
      defaultValue = "30m",
      converter = DurationConverter.class,
      description =
          "How long to wait for the Space to build and start (default: ${DEFAULT-VALUE}).")
  Duration buildTimeout;

  /** How often the Space's state is read while it builds; tests shorten it. */
  @Option(
      names = "--poll-interval",
      hidden = true,
      defaultValue = "2s",
      converter = DurationConverter.class)
  Duration pollInterval;

  @Override
  public Integer call() {
    SpaceId id;
    try {
      id = SpaceId.parse(space);
    } catch (IllegalArgumentException e) {
      throw UserError.usage(e.getMessage());
    }
    if (image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
      throw UserError.usage(
          "--image \"" + image + "\" is not an image name, such as " + SpaceFiles.defaultImage());
    }
    if (secret != null && secret.isEmpty()) {
      throw UserError.usage(
          "--secret is empty: a Space's webhooks need one; leave the option out for a random one");
    }
    HandlerScan scan = common.scanWithoutConflicts();
    if (scan.handlers().isEmpty()) {
      throw UserError.usage(
          "no handlers in " + scan.dir() + ": there is nothing to deploy (see `hf-webhooks list`)");
    }
    List<Directives.Declared> declared = HubSetup.directives(scan);
    PrintWriter out = spec.commandLine().getOut();
    for (HandlerFile broken : scan.handlers()) {
      if (broken.problem() != null) {
        out.println("warning: " + broken.path() + ": " + broken.problem());
      }
    }
    SpaceFiles files;
    try {
      files = SpaceFiles.of(id, common.dir, image);
    } catch (IOException e) {
      throw UserError.usage("cannot read " + common.dir + ": " + e.getMessage(), e);
    }
    for (var file : files.files()) {
      if (file.content().length > SpaceFiles.MAX_FILE_BYTES) {
        throw UserError.usage(
            file.path()
                + " is over 5 MB, which the Hub takes only through Git LFS: keep large files out of"
                + " the handlers folder (download them when the handler starts)");
      }
    }
    if (export != null) {
      return export(export, files, out);
    }
    Deployment.Options options =
        new Deployment.Options(
            id,
            secret,
            visibility != null && visibility.isPrivate,
            dryRun,
            !noRegister,
            pollInterval,
            buildTimeout);
    try (HubHttp http = connect()) {
      new Deployment(options, http, files, declared, SecretStore.of(root.environment()), out).run();
      return ExitCode.OK;
    } catch (HubException e) {
      out.flush();
      throw HubSetup.error(e);
    } catch (Deployment.Failed e) {
      out.flush();
      throw UserError.failure(e.getMessage(), e);
    } catch (IOException e) {
      out.flush();
      throw UserError.failure("cannot keep the Space's secret: " + e.getMessage(), e);
    }
  }

  private HubHttp connect() {
    try {
      return HubHttp.connect(root.environment());
    } catch (HubException e) {
      throw HubSetup.error(e);
    }
  }

  private int export(Path export, SpaceFiles files, PrintWriter out) {
    try {
      if (Files.isDirectory(export)) {
        try (Stream<Path> entries = Files.list(export)) {
          if (entries.findAny().isPresent()) {
            throw UserError.usage(
                "--export " + export + " is not empty: give a new or empty folder");
          }
        }
      } else if (Files.exists(export)) {
        throw UserError.usage("--export " + export + " is a file: give a new or empty folder");
      }
      files.export(export);
    } catch (IOException e) {
      throw UserError.failure("cannot write " + export + ": " + e.getMessage(), e);
    }
    out.printf(
        "Wrote %d files to %s (README.md, Dockerfile, handlers/): `docker build %s` builds what the"
            + " Space would run.%n",
        files.files().size(), export, export);
    out.flush();
    return ExitCode.OK;
  }
}
