package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.python.Interpreter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options every subcommand takes: where the handlers are, and how much to say on errors. */
final class CommonOptions {
  @Option(
      names = {"-d", "--dir"},
      paramLabel = "DIR",
      defaultValue = "handlers",
      description =
          "Folder of handler files, or one handler file such as app.py (default:"
              + " ${DEFAULT-VALUE}).")
  Path dir;

  @Option(
      names = "--python",
      paramLabel = "PATH",
      description =
          "The Python that runs .py handlers (default: $VIRTUAL_ENV's, else .venv in the"
              + " handlers folder, else python3 on the PATH).")
  @Nullable Path python;

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = {"-v", "--verbose"},
      description = "Show the stack trace of an error (and the tunnel client's output).")
  boolean verbose;

  /** Scans the handlers folder; a missing or unreadable one is a usage error. */
  HandlerScan scan() {
    if (python != null && (!Files.isExecutable(python) || Files.isDirectory(python))) {
      throw UserError.usage(
          "--python " + python + ": no such program (give the path of a python3)");
    }
    Map<String, String> env = ((HfWebhooksCommand) mixee.root().userObject()).environment();
    try {
      return HandlerScan.of(dir, Interpreter.locate(python, HandlerScan.folderOf(dir), env));
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
