package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.HandlerScan;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every subcommand takes: where the handlers are, and how much to say on errors. */
final class CommonOptions {
  @Option(
      names = {"-d", "--dir"},
      paramLabel = "DIR",
      defaultValue = "handlers",
      description = "Folder of handler files (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(
      names = {"-v", "--verbose"},
      description = "Show the stack trace of an error (and the tunnel client's output).")
  boolean verbose;

  /** Scans the handlers folder; a missing or unreadable one is a usage error. */
  HandlerScan scan() {
    try {
      return HandlerScan.of(dir);
    } catch (IOException e) {
      throw UserError.usage(
          e.getMessage() + " (run from the folder that holds it, or pass --dir)", e);
    }
  }

  /** Scans and refuses a folder where two files claim one name: never pick one silently. */
  HandlerScan scanWithoutConflicts() {
    HandlerScan scan = scan();
    if (!scan.conflicts().isEmpty()) {
      throw UserError.usage(
          String.join(
              "\nerror: ", scan.conflicts().stream().map(HandlerScan.Conflict::message).toList()));
    }
    return scan;
  }
}
