package dev.hfwebhooks.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.flow.Debounce;
import dev.hfwebhooks.flow.Filter;
import dev.hfwebhooks.flow.Flow;
import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.Watch;
import dev.hfwebhooks.payload.Json;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hf-webhooks list}: what would be served, and what was skipped and why. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = {
      "Show the webhooks a folder serves, what each one watches on the Hub (@watch), its flow"
          + " control (@filter), and the files skipped and why.",
      "Exit 0 when every handler is ready, 1 when one is broken or has a malformed directive, 2"
          + " when two files claim one name."
    })
final class ListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;

  @Option(
      names = "--json",
      description = "Print the handlers as a JSON array (skipped files go to stderr).")
  boolean json;

  /** One handler, what keeps it from running if anything, and what it declares it watches. */
  private record Row(HandlerFile file, Optional<String> problem, Directives.Declared declared) {
    String state() {
      return problem
          .map(p -> "broken: " + p)
          .or(
              () ->
                  declared
                      .blocking()
                      .map(p -> "broken: directive on line " + p.line() + ", see below"))
          .orElse("ready");
    }

    /** Why it does not run, if it does not: its code, or a directive that keeps it from running. */
    Optional<String> problemOrBlocking() {
      return problem.or(() -> declared.blocking().map(Directives.Problem::message));
    }

    String watches() {
      return declared
          .watch()
          .map(Watch::describe)
          .orElse(declared.problem().isPresent() ? "invalid @watch, see below" : "-");
    }
  }

  @Override
  public Integer call() {
    HandlerScan scan = common.scan();
    List<Row> rows;
    // Checking a JavaScript handler parses it, which starts the engine only when there is one.
    try (Handlers handlers = new Handlers(scan)) {
      rows =
          handlers.all().stream()
              .map(h -> new Row(h.file(), h.problem(), Directives.read(h.file())))
              .toList();
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (json) {
      ArrayNode array = Json.MAPPER.createArrayNode();
      for (Row row : rows) {
        ObjectNode item =
            array
                .addObject()
                .put("name", row.file().name())
                .put("route", row.file().route())
                .put("kind", row.file().kind().label())
                .put("path", row.file().path().toString())
                .put("state", row.problemOrBlocking().isPresent() ? "broken" : "ready");
        if (row.file().function() != null) {
          item.put("function", row.file().function());
        }
        row.problemOrBlocking().ifPresent(p -> item.put("problem", p));
        row.declared().watch().ifPresent(w -> watchJson(item.putObject("watch"), w));
        flowJson(item, row.declared().flow());
      }
      out.println(Json.write(array));
      scan.skipped().forEach(s -> err.println("skipped " + s.path() + ": " + s.reason()));
    } else {
      printTable(scan, rows, out);
    }
    scan.conflicts().forEach(c -> err.println("error: " + c.message()));
    rows.forEach(r -> r.declared().problem().ifPresent(p -> err.println("error: " + p.message())));
    out.flush();
    err.flush();
    if (!scan.conflicts().isEmpty()) {
      return ExitCode.USAGE;
    }
    boolean broken =
        rows.stream().anyMatch(r -> r.problem().isPresent() || r.declared().problem().isPresent());
    return broken ? ExitCode.FAILURE : ExitCode.OK;
  }

  private static void watchJson(ObjectNode node, Watch watch) {
    ArrayNode watched = node.putArray("watched");
    watch.items().forEach(i -> watched.addObject().put("type", i.type()).put("name", i.name()));
    ArrayNode domains = node.putArray("domains");
    watch.domains().forEach(domains::add);
  }

  /** The flow control directives, when there are any. */
  private static void flowJson(ObjectNode item, Flow flow) {
    if (!flow.filters().isEmpty()) {
      ArrayNode filters = item.putArray("filters");
      for (Filter f : flow.filters()) {
        ObjectNode filter =
            filters.addObject().put("path", f.path().text()).put("op", f.op().symbol());
        f.values().forEach(filter.putArray("values")::add);
        filter.put("line", f.line());
      }
    }
    if (flow.debounce() != null) {
      ObjectNode debounce =
          item.putObject("debounce")
              .put("window", Debounce.text(flow.debounce().window()))
              .put("key", flow.debounce().key().text());
      if (flow.debounce().max() != null) {
        debounce.put("max", Debounce.text(flow.debounce().max()));
      }
      debounce.put("line", flow.debounce().line());
    }
    if (flow.concurrency() != null) {
      ObjectNode concurrency =
          item.putObject("concurrency").put("limit", flow.concurrency().limit());
      if (flow.concurrency().key() != null) {
        concurrency.put("key", flow.concurrency().key().text());
      }
      concurrency.put("line", flow.concurrency().line());
    }
  }

  private static void printTable(HandlerScan scan, List<Row> rows, PrintWriter out) {
    if (rows.isEmpty()) {
      out.println("No handlers in " + scan.dir() + ": add a .py, .js, .mjs or .sh file.");
    } else {
      int name = "NAME".length();
      int route = "ROUTE".length();
      int file = "FILE".length();
      int state = "STATE".length();
      for (Row row : rows) {
        name = Math.max(name, row.file().name().length());
        route = Math.max(route, row.file().route().length() + "POST ".length());
        file = Math.max(file, row.file().path().toString().length());
        state = Math.max(state, row.state().length());
      }
      // WATCHES last: it is the longest, and the column a broken handler's state would push.
      String format =
          "%-" + name + "s  %-" + route + "s  %-7s  %-" + file + "s  %-" + state + "s  %s%n";
      out.printf(format, "NAME", "ROUTE", "KIND", "FILE", "STATE", "WATCHES");
      for (Row row : rows) {
        HandlerFile h = row.file();
        out.printf(
            format,
            h.name(),
            "POST " + h.route(),
            h.kind().label(),
            h.path(),
            row.state(),
            row.watches());
        // Flow control under its handler: a column would push WATCHES off most screens.
        row.declared().flow().describe().forEach(line -> out.println("    " + line));
      }
    }
    if (!scan.skipped().isEmpty()) {
      out.println();
      out.println("Skipped:");
      scan.skipped().forEach(s -> out.println("  " + s.path() + ": " + s.reason()));
    }
  }
}
