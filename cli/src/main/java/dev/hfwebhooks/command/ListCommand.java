package dev.hfwebhooks.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.payload.Json;
import java.io.PrintWriter;
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
    description = "Show the webhooks a folder serves, and the files skipped and why.")
final class ListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;

  @Option(
      names = "--json",
      description = "Print the handlers as a JSON array (skipped files go to stderr).")
  boolean json;

  @Override
  public Integer call() {
    HandlerScan scan = common.scan();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (json) {
      ArrayNode array = Json.MAPPER.createArrayNode();
      for (HandlerFile h : scan.handlers()) {
        array
            .addObject()
            .put("name", h.name())
            .put("route", h.route())
            .put("kind", h.kind().label())
            .put("path", h.path().toString());
      }
      out.println(Json.write(array));
      scan.skipped().forEach(s -> err.println("skipped " + s.path() + ": " + s.reason()));
    } else {
      printTable(scan, out);
    }
    scan.conflicts().forEach(c -> err.println("error: " + c.message()));
    out.flush();
    err.flush();
    return scan.conflicts().isEmpty() ? ExitCode.OK : ExitCode.USAGE;
  }

  private static void printTable(HandlerScan scan, PrintWriter out) {
    if (scan.handlers().isEmpty()) {
      out.println("No handlers in " + scan.dir() + ": add a .js, .mjs or .sh file.");
    } else {
      int name = "NAME".length();
      int route = "ROUTE".length();
      for (HandlerFile h : scan.handlers()) {
        name = Math.max(name, h.name().length());
        route = Math.max(route, h.route().length() + "POST ".length());
      }
      String row = "%-" + name + "s  %-" + route + "s  %-7s  %s%n";
      out.printf(row, "NAME", "ROUTE", "KIND", "FILE");
      for (HandlerFile h : scan.handlers()) {
        out.printf(row, h.name(), "POST " + h.route(), h.kind().label(), h.path());
      }
    }
    if (!scan.skipped().isEmpty()) {
      out.println();
      out.println("Skipped:");
      scan.skipped().forEach(s -> out.println("  " + s.path() + ": " + s.reason()));
    }
  }
}
