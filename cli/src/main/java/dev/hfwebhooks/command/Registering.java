package dev.hfwebhooks.command;

import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.hub.HubClient;
import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.PartialSyncException;
import dev.hfwebhooks.hub.Registration;
import dev.hfwebhooks.hub.Sync;
import dev.hfwebhooks.hub.WebhookSpec;
import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/** What {@code serve --register} does once the public URL is known: the Hub's side of the start. */
final class Registering {
  private Registering() {}

  /**
   * Syncs the handlers' webhooks for {@code baseUrl}, printing each step. A failure with a tunnel's
   * URL stops everything (nothing would reach this server); with a stable URL the server serves on,
   * since the webhooks registered by an earlier run still work.
   */
  static void sync(
      Registration registration,
      HandlerScan scan,
      List<Directives.Declared> declared,
      String baseUrl,
      @Nullable String hubSecret,
      Shutdown shutdown,
      PrintWriter out) {
    List<WebhookSpec> specs = HubSetup.specs(declared, baseUrl, hubSecret);
    if (specs.isEmpty()) {
      out.println(
          "--register: no handler declares @watch, so nothing is registered on the Hub (add a"
              + " comment such as `// @watch model:you/your-model` to a handler).");
      out.flush();
      return;
    }
    HubClient hub = registration.hub();
    out.printf(
        "Registering webhooks on %s for %s (token from %s):%n",
        hub.endpoint(), baseUrl, hub.tokenSource());
    out.flush();
    Set<String> names = scan.handlers().stream().map(HandlerFile::name).collect(Collectors.toSet());
    try {
      Sync.Plan plan = Sync.plan(baseUrl, specs, names, hub.list(), false);
      Sync.Summary summary =
          registration.register(
              plan,
              line -> {
                out.println(line);
                out.flush();
              });
      out.println(
          "Registered: "
              + summary
              + (registration.keeps()
                  ? "; they stay on the Hub after this run."
                  : "; those created are deleted from the Hub when the server stops."));
      out.flush();
    } catch (HubException | PartialSyncException e) {
      if (registration.keeps()) {
        out.println(
            "warning: "
                + e.getMessage()
                + ". Serving on: webhooks registered by an earlier run still work.");
        out.flush();
        return;
      }
      shutdown.stopBeforeExit(false);
      throw HubSetup.error(
          switch (e) {
            case HubException h -> new HubException(h.kind(), h.getMessage(), h);
            case PartialSyncException p -> new HubException(p.hubError().kind(), p.getMessage(), p);
            default -> throw new IllegalStateException(e); // the catch takes only those two
          });
    }
  }
}
