package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.hub.HubClient;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.HubWebhook;
import dev.hfwebhooks.hub.PartialSyncException;
import dev.hfwebhooks.hub.Sync;
import dev.hfwebhooks.hub.WebhookSpec;
import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hf-webhooks hub sync}: one Hub webhook per handler that declares {@code @watch}. */
@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    description = {
      "Create or update one Hub webhook per handler that declares @watch, posting to"
          + " URL/webhooks/<name>. Running it again changes nothing.",
      "Exit 0 when the Hub matches the folder, 1 when the Hub failed or could not be reached, 2"
          + " for bad usage, a malformed directive, or a missing or refused token."
    })
final class HubSyncCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @ParentCommand HubCommand hub;

  @Option(
      names = "--url",
      required = true,
      paramLabel = "URL",
      description =
          "Public base URL of the server, e.g. https://me-hooks.hf.space; handler NAME's webhook"
              + " posts to URL/webhooks/NAME.")
  String url;

  @Option(
      names = "--secret",
      paramLabel = "SECRET",
      description =
          "Secret the Hub sends with each delivery (default: $WEBHOOK_SECRET; when neither is"
              + " set, existing webhooks keep theirs; '' removes it).")
  @Nullable String secret;

  @Option(
      names = "--prune",
      description =
          "Also delete the Hub webhooks under URL/webhooks/ whose handler is gone or declares no"
              + " @watch.")
  boolean prune;

  @Option(names = "--dry-run", description = "Say what would change, and change nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    String base = HubSetup.baseUrl(url, "--url");
    if (secret == null) {
      secret = hub.environment().get("WEBHOOK_SECRET");
    }
    HandlerScan scan = common.scanWithoutConflicts();
    List<Directives.Declared> declared = HubSetup.directives(scan);
    List<WebhookSpec> specs = HubSetup.specs(declared, base, secret);
    PrintWriter out = spec.commandLine().getOut();
    String unwatched =
        declared.stream()
            .filter(d -> d.watch().isEmpty())
            .map(d -> d.file().name())
            .collect(Collectors.joining(", "));
    if (specs.isEmpty() && !prune) {
      out.println(
          "No handler in "
              + scan.dir()
              + " declares @watch, so there is nothing to register. Add a comment such as"
              + " `// @watch model:you/your-model` within a handler's first 20 lines.");
      out.flush();
      return ExitCode.OK;
    }
    try (HubClient client = HubSetup.connect(hub.environment())) {
      Set<String> names =
          scan.handlers().stream().map(HandlerFile::name).collect(Collectors.toSet());
      Sync.Plan plan = Sync.plan(base, specs, names, client.list(), prune);
      out.printf(
          "%s webhooks on %s for %s (token from %s):%n",
          dryRun ? "Checking" : "Syncing", client.endpoint(), base, client.tokenSource());
      if (!unwatched.isEmpty()) {
        out.println("  not registered (no @watch): " + unwatched);
      }
      if (secret == null && plan.steps().stream().anyMatch(s -> s instanceof Sync.Create)) {
        out.println(
            "  warning: no --secret or WEBHOOK_SECRET: new webhooks get no secret, and anyone who"
                + " knows their URL can trigger them");
      }
      if (dryRun) {
        plan.steps().forEach(s -> out.println("  " + Sync.describe(s, current(s), true)));
        out.println(plan.changesNothing() ? "Nothing to change." : "Nothing changed (--dry-run).");
        out.flush();
        return ExitCode.OK;
      }
      Sync.Summary summary =
          Sync.apply(
              plan,
              client,
              (step, result) -> {
                out.println("  " + Sync.describe(step, result, false));
                out.flush();
              });
      out.println("Done: " + summary + ".");
      out.flush();
      return ExitCode.OK;
    } catch (HubException e) {
      throw HubSetup.error(e);
    } catch (PartialSyncException e) {
      out.flush();
      throw HubSetup.error(new HubException(e.hubError().kind(), e.getMessage(), e.hubError()));
    }
  }

  private static @Nullable HubWebhook current(Sync.Step step) {
    return switch (step) {
      case Sync.Create c -> null;
      case Sync.Update u -> u.current();
      case Sync.Keep k -> k.current();
      case Sync.Leave l -> l.current();
      case Sync.Delete d -> d.current();
    };
  }
}
