package dev.hfwebhooks.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.JournalStore;
import dev.hfwebhooks.payload.Json;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hf-webhooks deliveries show ID}: everything recorded about one delivery. */
@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = {
      "Show everything recorded about one delivery: its attempts, headers, payload and output.",
      "Exit 2 when no delivery has that id."
    })
final class DeliveryShowCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin JournalOption data;

  @Parameters(index = "0", paramLabel = "ID", description = "The delivery id (X-Delivery-Id).")
  String id;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    JournalStore store = data.store();
    DeliveryRecord record;
    try (Journal journal = DeliveriesCommand.openForReading(store)) {
      record = journal.find(id).orElseThrow(() -> unknown(id, store));
    } catch (JournalException e) {
      throw UserError.failure(e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(json(record)));
    } else {
      text(record, out);
    }
    out.flush();
    return ExitCode.OK;
  }

  static UserError unknown(String id, JournalStore store) {
    return UserError.usage(
        "no delivery %s in %s (hf-webhooks deliveries lists them)"
            .formatted(UserError.visible(id), store.location()));
  }

  private static ObjectNode json(DeliveryRecord record) {
    ObjectNode node = DeliveriesCommand.summary(Json.object(), record.summary());
    ObjectNode headers = node.putObject("headers");
    record.headers().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(h -> headers.put(h.getKey(), h.getValue()));
    String body = new String(record.body(), StandardCharsets.UTF_8);
    node.put("body", body);
    node.set("payload", Json.tryParse(body).orElse(null));
    node.put("output", record.output());
    node.put("stderr", record.stderr());
    ArrayNode attempts = node.putArray("attempt_history");
    for (Attempt a : record.attempts()) {
      attempts
          .addObject()
          .put("number", a.number())
          .put("trigger", a.trigger().label())
          .put("started", a.started().toString())
          .put("status", a.status().label())
          // Jackson writes a null Integer or Long as JSON null.
          .put("exit_status", a.exitStatus())
          .put("duration_ms", a.durationMs())
          .put("error", a.error())
          .put("server", a.server());
    }
    return node;
  }

  private static void text(DeliveryRecord record, PrintWriter out) {
    DeliverySummary d = record.summary();
    out.printf("delivery  %s%n", d.id());
    out.printf("handler   %s%n", d.handler());
    out.printf("received  %s%n", d.received());
    out.printf(
        "status    %s after %d attempt%s%n",
        d.status().label(), d.attempts(), d.attempts() == 1 ? "" : "s");
    if (d.exitStatus() != null) {
      out.printf("exit      %d%n", d.exitStatus());
    }
    out.printf("duration  %s%n", DeliveriesCommand.duration(d.durationMs()));
    if (d.error() != null) {
      out.printf("error     %s%n", d.error());
    }
    out.println();
    out.println("Attempts:");
    if (record.attempts().isEmpty()) {
      out.println("  none yet");
    }
    for (Attempt a : record.attempts()) {
      out.printf(
          "  %d  %s  %-9s  %-9s  %8s%s%s%s%n",
          a.number(),
          DeliveriesCommand.time(a.started()),
          a.trigger().label(),
          a.status().label(),
          DeliveriesCommand.duration(a.durationMs()),
          a.exitStatus() == null ? "" : "  exit " + a.exitStatus(),
          a.server() == null ? "" : "  on " + a.server(),
          a.error() == null ? "" : "  " + a.error());
    }
    out.println();
    out.println("Headers:");
    record.headers().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(h -> out.printf("  %s: %s%n", h.getKey(), h.getValue()));
    out.println();
    out.println("Payload:");
    out.println(new String(record.body(), StandardCharsets.UTF_8).strip());
    section(out, "Output", record.output());
    section(out, "Stderr", record.stderr());
  }

  private static void section(PrintWriter out, String title, @Nullable String text) {
    if (text != null && !text.isBlank()) {
      out.println();
      out.println(title + " (the latest attempt's, last part):");
      text.lines().forEach(line -> out.println("  | " + line));
    }
  }
}
