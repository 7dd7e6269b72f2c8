package dev.hfwebhooks.command;

import dev.hfwebhooks.hub.HubClient;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.HubWebhook;
import dev.hfwebhooks.hub.TunnelWebhooks;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hf-webhooks hub delete}: deletes webhooks by id, or those a killed tunnel session left
 * behind (see {@link TunnelWebhooks}).
 */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = {
      "Delete webhooks from the Hub: those named by id (hub list shows them), or with"
          + " --all-tunnel every webhook that posts to a tunnel's address under /webhooks/, as"
          + " `serve --tunnel --register` leaves them when it is killed.",
      "Exit 0 when deleted, 1 when the Hub failed or could not be reached, 2 for bad usage, an"
          + " unknown id, or a missing or refused token."
    })
final class HubDeleteCommand implements Callable<Integer> {
  /** What a Hub webhook id looks like (24 hex digits today): anything else is a typo. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  @Spec CommandSpec spec;
  @ParentCommand HubCommand hub;

  @Parameters(paramLabel = "ID", arity = "0..*", description = "Ids of the webhooks to delete.")
  List<String> ids = new ArrayList<>();

  @Option(
      names = "--all-tunnel",
      description =
          "Delete every webhook whose URL is https://HOST/webhooks/NAME with HOST a tunnel's"
              + " address (ngrok, cloudflared quick tunnels, localtunnel). Stop any running"
              + " `serve --tunnel` first: its webhooks look the same.")
  boolean allTunnel;

  @Option(names = "--dry-run", description = "Say what would be deleted, and delete nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    if (allTunnel == !ids.isEmpty()) {
      throw UserError.usage(
          allTunnel
              ? "give webhook ids or --all-tunnel, not both"
              : "say what to delete: webhook ids (hub list shows them), or --all-tunnel");
    }
    ids = List.copyOf(new LinkedHashSet<>(ids)); // an id given twice is deleted once
    for (String id : ids) {
      if (!ID.matcher(id).matches()) {
        throw UserError.usage(
            "\"%s\" is not a webhook id: `hf-webhooks hub list` shows the ids of yours"
                .formatted(id));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    try (HubClient client = HubSetup.connect(hub.environment())) {
      if (allTunnel) {
        deleteLeftBehind(client, out);
      } else {
        deleteById(client, out);
      }
      return ExitCode.OK;
    } finally {
      out.flush();
    }
  }

  private void deleteById(HubClient client, PrintWriter out) {
    List<String> deleted = new ArrayList<>();
    for (String id : ids) {
      if (dryRun) {
        out.printf("Would delete webhook %s from %s.%n", id, client.endpoint());
        continue;
      }
      try {
        if (!client.delete(id)) {
          throw UserError.usage(
              "no webhook %s on %s (404): `hf-webhooks hub list` shows the ids of yours%s"
                  .formatted(id, client.endpoint(), stopped(ids, deleted, id)));
        }
      } catch (HubException e) {
        throw error(e, ids, deleted, id);
      }
      deleted.add(id);
      out.printf("Deleted webhook %s from %s.%n", id, client.endpoint());
    }
  }

  private void deleteLeftBehind(HubClient client, PrintWriter out) {
    List<HubWebhook> found;
    try {
      found = TunnelWebhooks.in(client.list());
    } catch (HubException e) {
      throw HubSetup.error(e);
    }
    if (found.isEmpty()) {
      out.printf(
          "No webhook on %s posts to a tunnel's address: nothing to delete.%n", client.endpoint());
      return;
    }
    out.printf(
        "%s the webhooks that post to a tunnel's address on %s (token from %s):%n",
        dryRun ? "Checking" : "Deleting", client.endpoint(), client.tokenSource());
    List<String> planned = found.stream().map(HubWebhook::id).toList();
    List<String> deleted = new ArrayList<>();
    for (HubWebhook webhook : found) {
      if (dryRun) {
        out.printf("  would delete %s: %s%n", webhook.id(), webhook.url());
        continue;
      }
      boolean existed;
      try {
        existed = client.delete(webhook.id());
      } catch (HubException e) {
        throw error(e, planned, deleted, webhook.id());
      }
      deleted.add(webhook.id());
      out.printf(
          "  deleted %s: %s%s%n", webhook.id(), webhook.url(), existed ? "" : " (already gone)");
      out.flush();
    }
    out.println(dryRun ? "Nothing deleted (--dry-run)." : "Done: " + deleted.size() + " deleted.");
  }

  /** The Hub's error, saying which webhooks were deleted before it and which were not. */
  private static UserError error(
      HubException e, List<String> planned, List<String> deleted, String failed) {
    return HubSetup.error(
        new HubException(e.kind(), e.getMessage() + stopped(planned, deleted, failed), e));
  }

  /**
   * {@code ". Stopped: deleted A; not deleted: B, C"} once something was deleted (B failed), else
   * nothing: the error alone says that nothing changed.
   */
  private static String stopped(List<String> planned, List<String> deleted, String failed) {
    if (deleted.isEmpty()) {
      return "";
    }
    List<String> left = planned.subList(planned.indexOf(failed), planned.size());
    return ". Stopped: deleted %s; not deleted: %s"
        .formatted(String.join(", ", deleted), String.join(", ", left));
  }
}
