package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.JournalStore;
import dev.hfwebhooks.journal.RecordedRun;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hf-webhooks replay ID}: runs a recorded delivery through its handler again, here and now,
 * along the path serve takes, and records it as a new attempt.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Run a recorded delivery through its handler again, now, and record the new attempt.",
      "Exit 0 when the handler succeeds, 1 when it fails, 2 for an unknown id or handler."
    })
final class ReplayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;
  @Mixin JournalOption data;

  @Parameters(index = "0", paramLabel = "ID", description = "The delivery id (X-Delivery-Id).")
  String id;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "How long the handler may run (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() {
    Duration timeout = Seconds.positive("--timeout", timeoutSeconds);
    JournalStore store = data.store();
    if (!store.exists()) {
      throw DeliveriesCommand.noJournal(store);
    }
    PrintWriter out = spec.commandLine().getOut();
    try (JournalStore.Held held = store.openToWrite();
        Handlers handlers = new Handlers(common.scanWithoutConflicts())) {
      Journal journal = held.journal();
      DeliveryRecord record =
          journal.find(id).orElseThrow(() -> DeliveryShowCommand.unknown(id, store));
      Handler handler =
          handlers
              .find(record.handler())
              .orElseThrow(
                  () ->
                      UserError.usage(
                          "no handler named \"%s\" in %s: delivery %s was for it (pass the --dir"
                                  .formatted(record.handler(), common.dir, record.id())
                              + " serve used)"));
      RecordedRun.Replay replay =
          RecordedRun.replay(
              journal,
              handler,
              record,
              timeout,
              number -> {
                out.printf(
                    "Replaying delivery %s to %s (%s, %s): attempt %d%n",
                    record.id(),
                    handler.name(),
                    handler.file().kind().label(),
                    handler.file().path(),
                    number);
                String note = record.summary().replayNote();
                if (note != null) {
                  out.println("Note: " + note + ".");
                }
                out.flush();
              },
              line -> {
                out.println("  | " + line);
                out.flush();
              });
      Outcome outcome = replay.outcome();
      TestCommand.report(outcome, out);
      out.printf(
          "Recorded as attempt %d: %s.%n", replay.attempt(), replay.result().status().label());
      out.flush();
      return outcome.succeeded() ? ExitCode.OK : ExitCode.FAILURE;
    } catch (JournalException e) {
      throw UserError.failure(e.getMessage(), e);
    }
  }
}
