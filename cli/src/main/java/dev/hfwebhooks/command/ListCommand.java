package dev.hfwebhooks.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
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
      "Show the webhooks a folder serves, and the files skipped and why.",
      "Exit 0 when every handler is ready, 1 when one is broken, 2 when two files claim one name."
    })
final class ListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;

  @Option(
      names = "--json",
      description = "Print the handlers as a JSON array (skipped files go to stderr).")
  boolean json;

  /** One handler and what keeps it from running, if anything. */
  private record Row(HandlerFile file, Optional<String> problem) {
    String state() {
      return problem.map(p -> "broken: " + p).orElse("ready");
    }
  }

  @Override
  public Integer call() {
    HandlerScan scan = common.scan();
    List<Row> rows;
    // Checking a JavaScript handler parses it, which starts the engine only when there is one.
    try (Handlers handlers = new Handlers(scan)) {
      rows = handlers.all().stream().map(h -> new Row(h.file(), h.problem())).toList();
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
                .put("state", row.problem().isPresent() ? "broken" : "ready");
        row.problem().ifPresent(p -> item.put("problem", p));
      }
      out.println(Json.write(array));
      scan.skipped().forEach(s -> err.println("skipped " + s.path() + ": " + s.reason()));
    } else {
      printTable(scan, rows, out);
    }
    scan.conflicts().forEach(c -> err.println("error: " + c.message()));
    out.flush();
    err.flush();
    if (!scan.conflicts().isEmpty()) {
      return ExitCode.USAGE;
    }
    return rows.stream().anyMatch(r -> r.problem().isPresent()) ? ExitCode.FAILURE : ExitCode.OK;
  }

  private static void printTable(HandlerScan scan, List<Row> rows, PrintWriter out) {
    if (rows.isEmpty()) {
      out.println("No handlers in " + scan.dir() + ": add a .js, .mjs or .sh file.");
    } else {
      int name = "NAME".length();
      int route = "ROUTE".length();
      int file = "FILE".length();
      for (Row row : rows) {
        name = Math.max(name, row.file().name().length());
        route = Math.max(route, row.file().route().length() + "POST ".length());
        file = Math.max(file, row.file().path().toString().length());
      }
      String format = "%-" + name + "s  %-" + route + "s  %-7s  %-" + file + "s  %s%n";
      out.printf(format, "NAME", "ROUTE", "KIND", "FILE", "STATE");
      for (Row row : rows) {
        HandlerFile h = row.file();
        out.printf(format, h.name(), "POST " + h.route(), h.kind().label(), h.path(), row.state());
      }
    }
    if (!scan.skipped().isEmpty()) {
      out.println();
      out.println("Skipped:");
      scan.skipped().forEach(s -> out.println("  " + s.path() + ": " + s.reason()));
    }
  }
}
