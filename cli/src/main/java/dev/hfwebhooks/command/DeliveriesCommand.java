package dev.hfwebhooks.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.JournalStore;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.payload.Json;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hf-webhooks deliveries}: the journal's deliveries, newest first. */
@Command(
    name = "deliveries",
    mixinStandardHelpOptions = true,
    description = {
      "List the deliveries serve recorded, newest first; 'deliveries show ID' for one in full.",
      "Exit 1 when the journal cannot be read, 2 for bad usage."
    },
    subcommands = DeliveryShowCommand.class)
final class DeliveriesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin JournalOption data;

  @Option(names = "--handler", paramLabel = "NAME", description = "Only this handler's.")
  @Nullable String handler;

  @Option(
      names = "--status",
      paramLabel = "STATUS",
      description =
          "Only those queued, running, succeeded, failed, timed_out, filtered (by @filter),"
              + " debounced or superseded (by @debounce).")
  @Nullable String status;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "20",
      description = "At most N (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--json", description = "Print a JSON array of objects.")
  boolean json;

  @Override
  public Integer call() {
    if (limit < 1) {
      throw UserError.usage("--limit must be at least 1, not " + limit);
    }
    Query query;
    try {
      query = new Query(handler, status == null ? null : Status.parse(status), limit);
    } catch (IllegalArgumentException e) {
      throw UserError.usage("--status: " + e.getMessage());
    }
    JournalStore store = data.store();
    List<DeliverySummary> deliveries;
    try (Journal journal = openForReading(store)) {
      deliveries = journal.list(query);
    } catch (JournalException e) {
      throw UserError.failure(e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ArrayNode array = Json.MAPPER.createArrayNode();
      deliveries.forEach(d -> summary(array.addObject(), d));
      out.println(Json.write(array));
    } else if (deliveries.isEmpty()) {
      out.println(
          handler == null && status == null
              ? "No deliveries recorded in " + store.location() + " yet."
              : "No deliveries match in " + store.location() + ".");
    } else {
      table(deliveries, out);
    }
    out.flush();
    return ExitCode.OK;
  }

  /** Opens the journal to read; a missing one is a usage error (a wrong --data-dir, likely). */
  static Journal openForReading(JournalStore store) {
    if (!store.exists()) {
      throw noJournal(store);
    }
    return store.openForReading();
  }

  static UserError noJournal(JournalStore store) {
    return UserError.usage(
        "no journal at %s: serve records deliveries there (pass --data-dir or --journal to read"
                .formatted(store.location())
            + " another)");
  }

  /** The fields of one delivery that {@code --json} prints for each. */
  static ObjectNode summary(ObjectNode node, DeliverySummary d) {
    node.put("id", d.id())
        .put("handler", d.handler())
        .put("status", d.status().label())
        .put("attempts", d.attempts())
        .put("received", d.received().toString())
        // Jackson writes a null Long or Integer as JSON null.
        .put("duration_ms", d.durationMs())
        .put("exit_status", d.exitStatus())
        .put("error", d.error());
    return node;
  }

  static String time(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  static String duration(@Nullable Long millis) {
    return millis == null ? "-" : millis + " ms";
  }

  private static void table(List<DeliverySummary> deliveries, PrintWriter out) {
    int id = "ID".length();
    int name = "HANDLER".length();
    for (DeliverySummary d : deliveries) {
      id = Math.max(id, d.id().length());
      name = Math.max(name, d.handler().length());
    }
    // A NOTE column only when a delivery has one (why it was filtered), so the usual table stays.
    boolean notes = deliveries.stream().anyMatch(d -> d.note() != null);
    // As wide as timed_out, or superseded when one is listed.
    int status = 9;
    for (DeliverySummary d : deliveries) {
      status = Math.max(status, d.status().label().length());
    }
    String format =
        "%-"
            + id
            + "s  %-20s  %-"
            + name
            + "s  %-"
            + status
            + "s  %8s  %8s"
            + (notes ? "  %s" : "%s")
            + "%n";
    out.printf(
        format, "ID", "RECEIVED", "HANDLER", "STATUS", "ATTEMPTS", "DURATION", notes ? "NOTE" : "");
    for (DeliverySummary d : deliveries) {
      out.printf(
          format,
          d.id(),
          time(d.received()),
          d.handler(),
          d.status().label(),
          d.attempts(),
          duration(d.durationMs()),
          d.note() == null ? "" : d.note());
    }
  }
}
