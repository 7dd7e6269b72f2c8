package dev.hfwebhooks.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Watch;
import dev.hfwebhooks.hub.HubClient;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.HubWebhook;
import dev.hfwebhooks.payload.Json;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
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

/** {@code hf-webhooks hub list}: the user's Hub webhooks, and which handler each one posts to. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = {
      "List your webhooks on the Hub: id, the handler of this folder it posts to (if any),"
          + " enabled, domains, what it watches, URL.",
      "Exit 0 when listed, 1 when the Hub failed or could not be reached, 2 for a missing or"
          + " refused token."
    })
final class HubListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @ParentCommand HubCommand hub;

  @Option(
      names = "--url",
      paramLabel = "URL",
      description =
          "Count as this folder's only the webhooks under URL/webhooks/ (default: any URL ending"
              + " in /webhooks/<a handler's name>).")
  @Nullable String url;

  @Option(names = "--json", description = "Print the webhooks as a JSON array.")
  boolean json;

  /** One webhook, and the handler of this folder it posts to, or null. */
  private record Row(HubWebhook webhook, @Nullable String handler) {
    String enabled() {
      return webhook.enabled() ? "yes" : "no (" + webhook.disabled() + ")";
    }

    String watched() {
      return webhook.watched().stream().map(Watch.Item::toString).collect(Collectors.joining(" "));
    }
  }

  @Override
  public Integer call() {
    String base = url != null ? HubSetup.baseUrl(url, "--url") : null;
    Set<String> names = handlerNames();
    List<HubWebhook> webhooks;
    String endpoint;
    try (HubClient client = HubSetup.connect(hub.environment())) {
      webhooks = client.list();
      endpoint = client.endpoint();
    } catch (HubException e) {
      throw HubSetup.error(e);
    }
    List<Row> rows = webhooks.stream().map(w -> new Row(w, handlerOf(w, base, names))).toList();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ArrayNode array = Json.MAPPER.createArrayNode();
      for (Row row : rows) {
        ObjectNode item = array.addObject().put("id", row.webhook().id());
        item.put("url", row.webhook().url()).put("handler", row.handler());
        ArrayNode watched = item.putArray("watched");
        row.webhook()
            .watched()
            .forEach(w -> watched.addObject().put("type", w.type()).put("name", w.name()));
        ArrayNode domains = item.putArray("domains");
        row.webhook().domains().forEach(domains::add);
        item.put("enabled", row.webhook().enabled());
        if (!row.webhook().enabled()) {
          item.put("disabled", row.webhook().disabled());
        }
      }
      out.println(Json.write(array));
    } else if (rows.isEmpty()) {
      out.println(
          "No webhooks on "
              + endpoint
              + " yet. `hf-webhooks hub sync --url URL` creates one per handler that declares"
              + " @watch.");
    } else {
      printTable(rows, out);
    }
    out.flush();
    return ExitCode.OK;
  }

  /**
   * The handler names of the folder; none when the default folder does not exist (listing needs no
   * folder), but a missing folder given with --dir is an error.
   */
  private Set<String> handlerNames() {
    boolean given = spec.commandLine().getParseResult().hasMatchedOption("--dir");
    if (!given && !Files.isDirectory(common.dir)) {
      return Set.of();
    }
    HandlerScan scan = common.scan();
    return scan.handlers().stream().map(HandlerFile::name).collect(Collectors.toSet());
  }

  /** The handler {@code webhook} posts to: its URL's path ends in /webhooks/NAME. */
  private static @Nullable String handlerOf(
      HubWebhook webhook, @Nullable String base, Set<String> names) {
    String url = webhook.url();
    if (url == null) {
      return null; // a webhook that starts a Job
    }
    String name;
    if (base != null) {
      if (!url.startsWith(base + "/webhooks/")) {
        return null;
      }
      name = url.substring(base.length() + "/webhooks/".length()).split("[?#]", 2)[0];
    } else {
      String path;
      try {
        path = URI.create(url).getPath();
      } catch (IllegalArgumentException e) {
        return null;
      }
      int at = path == null ? -1 : path.lastIndexOf("/webhooks/");
      if (at < 0) {
        return null;
      }
      name = path.substring(at + "/webhooks/".length());
    }
    return names.contains(name) ? name : null;
  }

  private static void printTable(List<Row> rows, PrintWriter out) {
    int id = "ID".length();
    int handler = "HANDLER".length();
    int enabled = "ENABLED".length();
    int domains = "DOMAINS".length();
    int watched = "WATCHED".length();
    for (Row row : rows) {
      id = Math.max(id, row.webhook().id().length());
      handler = Math.max(handler, row.handler() == null ? 1 : row.handler().length());
      enabled = Math.max(enabled, row.enabled().length());
      domains = Math.max(domains, String.join(",", row.webhook().domains()).length());
      watched = Math.max(watched, row.watched().length());
    }
    String format =
        "%-" + id + "s  %-" + handler + "s  %-" + enabled + "s  %-" + domains + "s  %-" + watched
            + "s  %s%n";
    out.printf(format, "ID", "HANDLER", "ENABLED", "DOMAINS", "WATCHED", "URL");
    for (Row row : rows) {
      HubWebhook w = row.webhook();
      out.printf(
          format,
          w.id(),
          row.handler() == null ? "-" : row.handler(),
          row.enabled(),
          String.join(",", w.domains()),
          row.watched(),
          w.url() == null ? "(runs a Job)" : w.url());
    }
  }
}
