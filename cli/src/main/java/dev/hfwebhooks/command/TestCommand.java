package dev.hfwebhooks.command;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.flow.Filter;
import dev.hfwebhooks.handler.Delivery;
import dev.hfwebhooks.handler.DeliveryRunner;
import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.payload.PayloadException;
import dev.hfwebhooks.payload.PayloadParser;
import dev.hfwebhooks.payload.WebhookPayload;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hf-webhooks test}: runs a payload through handlers, the way the server would, no HTTP. */
@Command(
    name = "test",
    mixinStandardHelpOptions = true,
    description = {
      "Run a payload through handlers without a server.",
      "Exit 0 when every handler succeeds, 1 when one fails, 2 for bad usage or payload."
    })
final class TestCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CommonOptions common;

  @Parameters(
      index = "0",
      paramLabel = "PAYLOAD",
      description = "A webhook payload as JSON, or - for standard input.")
  String payloadFile;

  @Option(
      names = "--handler",
      paramLabel = "NAME",
      description = "Run only this handler (repeatable; default: all).")
  List<String> only = new ArrayList<>();

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "How long each handler may run (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() {
    Duration timeout = Seconds.positive("--timeout", timeoutSeconds);
    byte[] body = readPayload();
    WebhookPayload payload;
    try {
      payload = PayloadParser.parse(body);
    } catch (PayloadException e) {
      StringBuilder message = new StringBuilder(payloadFile + ": ");
      if (e.isInvalidPayload()) {
        message.append("not a valid webhook payload:");
        e.problems().forEach(p -> message.append("\n  ").append(p));
      } else {
        message.append(e.getMessage());
      }
      throw UserError.usage(message.toString());
    }

    PrintWriter out = spec.commandLine().getOut();
    try (Handlers handlers = new Handlers(common.scanWithoutConflicts())) {
      // What a Python file prints while it imports shows like a handler's own output.
      handlers.logLoadsTo(
          (name, line) -> {
            out.println("  | " + line);
            out.flush();
          });
      List<Handler> chosen = choose(handlers);
      int failed = 0;
      int filtered = 0;
      JsonNode json = Json.tryParse(new String(body, StandardCharsets.UTF_8)).orElseThrow();
      for (Handler handler : chosen) {
        out.printf(
            "%s (%s, %s)%n", handler.name(), handler.file().kind().label(), handler.file().path());
        out.flush();
        // Flow control as serve applies it: a filtered payload does not run.
        Directives.Declared declared = handlers.declared(handler.name()).orElseThrow();
        if (declared.blocking().isPresent()) {
          out.println("  FAILED: " + declared.blocking().get().message());
          failed++;
          continue;
        }
        Optional<Filter> filter = declared.flow().failed(json);
        if (filter.isPresent()) {
          out.printf(
              "  filtered: @filter %s (line %d) does not hold; serve answers 200 and does not run"
                  + " it%n",
              filter.get().text(), filter.get().line());
          filtered++;
          continue;
        }
        if (declared.flow().debounce() != null) {
          out.printf(
              "  %s: serve answers 202 and runs only the latest of a burst; test runs it now%n",
              declared.flow().debounce().describe());
        }
        Delivery delivery =
            new Delivery(
                Delivery.newId(),
                body,
                payload,
                Map.of("content-type", "application/json"),
                timeout,
                line -> {
                  out.println("  | " + line);
                  out.flush();
                });
        Outcome outcome = DeliveryRunner.run(handler, delivery);
        report(outcome, out);
        failed += outcome.succeeded() ? 0 : 1;
      }
      out.printf(
          "%d of %d handler%s succeeded%s%s%n",
          chosen.size() - failed - filtered,
          chosen.size(),
          chosen.size() == 1 ? "" : "s",
          filtered == 0 ? "" : "; " + filtered + " filtered",
          failed == 0 ? "." : "; " + failed + " failed.");
      out.flush();
      return failed == 0 ? ExitCode.OK : ExitCode.FAILURE;
    }
  }

  private byte[] readPayload() {
    try {
      return payloadFile.equals("-")
          ? System.in.readAllBytes()
          : Files.readAllBytes(Path.of(payloadFile));
    } catch (NoSuchFileException e) {
      throw UserError.usage("payload file " + payloadFile + " does not exist", e);
    } catch (IOException e) {
      throw UserError.usage("cannot read payload file " + payloadFile + ": " + e.getMessage(), e);
    }
  }

  private List<Handler> choose(Handlers handlers) {
    if (handlers.all().isEmpty()) {
      throw UserError.usage(
          "no handlers in "
              + common.dir
              + ": add a .py, .js, .mjs or .sh file (see hf-webhooks list)");
    }
    if (only.isEmpty()) {
      return List.copyOf(handlers.all());
    }
    List<Handler> chosen = new ArrayList<>();
    for (String name : only) {
      chosen.add(
          handlers
              .find(name)
              .orElseThrow(
                  () ->
                      UserError.usage(
                          "no handler named \"%s\" in %s (there are: %s)"
                              .formatted(
                                  name,
                                  common.dir,
                                  String.join(
                                      ", ",
                                      handlers.all().stream().map(Handler::name).toList())))));
    }
    return chosen;
  }

  static void report(Outcome outcome, PrintWriter out) {
    String status =
        switch (outcome.result()) {
          case SUCCEEDED -> "ok";
          case FAILED -> "FAILED";
          case TIMED_OUT -> "TIMED OUT";
        };
    out.printf(
        "  %d %s in %d ms%n", outcome.result().httpStatus(), status, outcome.duration().toMillis());
    Outcome.Answer answer = outcome.answer();
    if (outcome.succeeded() && answer != null) {
      out.println("  answer: " + answer.body());
    } else {
      out.println("  error: " + outcome.error());
    }
  }
}
