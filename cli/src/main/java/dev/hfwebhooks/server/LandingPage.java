package dev.hfwebhooks.server;

import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.journal.DeliverySummary;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The page at {@code /}: what this server is, its webhooks with the URLs to register, and how to
 * register them. Plain HTML with inline CSS, so it works offline and on a Space alike.
 */
final class LandingPage {
  private LandingPage() {}

  /**
   * The newest deliveries, for the page's last table.
   *
   * @param journal where the journal is (for the server's own use: the page does not show it)
   * @param async whether deliveries are answered 202 and run by the queue
   * @param deliveries the newest first
   * @param problem why the journal could not be read, or null
   */
  record Recent(String journal, boolean async, List<DeliverySummary> deliveries, String problem) {}

  static String render(String baseUrl, boolean hasSecret, Handlers handlers, Recent recent) {
    HandlerScan scan = handlers.scan();
    StringBuilder rows = new StringBuilder();
    for (Handler handler : handlers.all()) {
      HandlerFile h = handler.file();
      String state =
          handler
              .problem()
              .map(p -> "<span class=\"broken\">broken: " + escape(p) + "</span>")
              .orElse("ready");
      Directives.Declared declared = Directives.read(h);
      String watches =
          declared
              .watch()
              .map(w -> "<code>" + escape(w.describe()) + "</code>")
              .or(
                  () ->
                      declared
                          .problem()
                          .map(
                              p ->
                                  "<span class=\"broken\">line "
                                      + p.line()
                                      + ": "
                                      + escape(p.what())
                                      + "</span>"))
              .orElse("&mdash;");
      rows.append(
          """
              <tr><td>%s</td><td><code>POST %s</code></td><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td></tr>
          """
              .formatted(
                  escape(h.name()),
                  escape(baseUrl + h.route()),
                  escape(h.kind().label()),
                  state,
                  watches,
                  escape(h.path().getFileName().toString())));
    }
    if (scan.handlers().isEmpty()) {
      rows.append("<tr><td colspan=\"6\">No handlers in this folder yet.</td></tr>\n");
    }
    scan.conflicts()
        .forEach(
            c ->
                rows.append(
                    "<tr><td>%s</td><td colspan=\"5\"><span class=\"broken\">not served: %s</span></td></tr>\n"
                        .formatted(escape(c.name()), escape(c.message()))));
    StringBuilder skipped = new StringBuilder();
    scan.skipped()
        .forEach(
            s ->
                skipped.append(
                    "<li><code>%s</code>: %s</li>\n"
                        .formatted(escape(s.path().getFileName().toString()), escape(s.reason()))));
    String secret =
        hasSecret
            ? "<p class=\"ok\">A secret is set: the Hub must send it (the webhook's <em>Secret</em>"
                + " field).</p>"
            : "<p class=\"warn\">No secret is set: anyone who knows these URLs can trigger them."
                + " Restart with <code>--secret</code> or <code>WEBHOOK_SECRET</code>.</p>";
    return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>hf-webhooks</title>
        <style>
          body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
                 padding: 0 1rem; color: #1f2328; line-height: 1.5; }
          table { border-collapse: collapse; width: 100%%; }
          th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d0d7de; }
          code { background: #f6f8fa; padding: .1rem .3rem; border-radius: 4px; word-break: break-all; }
          .warn { background: #fff8c5; padding: .6rem; border-radius: 6px; }
          .ok { background: #dafbe1; padding: .6rem; border-radius: 6px; }
          .broken, .failed, .timed_out { color: #a40e26; font-weight: 600; }
          .succeeded { color: #1a7f37; }
          .queued, .running { color: #9a6700; }
        </style>
        </head>
        <body>
        <h1>hf-webhooks</h1>
        <p>This server runs your code when the Hugging Face Hub sends a webhook: each file of the
        handlers folder answers <code>POST /webhooks/&lt;name&gt;</code>.</p>
        %s
        <h2>Webhooks</h2>
        <table>
          <thead><tr><th>Name</th><th>URL</th><th>Kind</th><th>State</th><th>Watches</th><th>File</th></tr></thead>
          <tbody>
        %s  </tbody>
        </table>
        <h2>Register a webhook on the Hub</h2>
        <p>A handler that declares what it watches (<code>// @watch model:acme/sentiment-model</code>
        within its first 20 lines) is registered for you by
        <code>hf-webhooks hub sync --url %s</code>, or by <code>serve --register</code>. By hand:</p>
        <ol>
          <li>Open <a href="%s">%s</a> and create a webhook.</li>
          <li>Choose the repositories or users to watch, and the events (repo changes, discussions).</li>
          <li>Paste the URL of a webhook above as the <em>Webhook URL</em>.</li>
          <li>Set the <em>Secret</em> to this server's secret.</li>
        </ol>
        <p>The Hub must reach this URL from the internet: on a laptop, run
        <code>hf-webhooks serve --tunnel</code>; on a Hugging Face Space, the Space's URL is
        used.</p>
        %s
        %s
        </body>
        </html>
        """
        .formatted(
            secret,
            rows,
            escape(baseUrl),
            StartupMessage.SETTINGS_URL,
            StartupMessage.SETTINGS_URL,
            skipped.isEmpty() ? "" : "<h2>Skipped files</h2>\n<ul>\n" + skipped + "</ul>",
            deliveries(recent));
  }

  private static String deliveries(Recent recent) {
    StringBuilder html = new StringBuilder("<h2>Recent deliveries</h2>\n");
    // The page is public: it says how deliveries are handled, not where the journal is.
    html.append(
        recent.async()
            ? "<p>Deliveries are answered 202 once recorded, and run in the background.</p>\n"
            : "<p>Deliveries are recorded, then run as they arrive.</p>\n");
    if (recent.problem() != null) {
      return html.append("<p class=\"warn\">")
          .append(escape(recent.problem()))
          .append("</p>\n")
          .toString();
    }
    if (recent.deliveries().isEmpty()) {
      return html.append("<p>None yet.</p>\n").toString();
    }
    html.append(
        "<table>\n  <thead><tr><th>Received</th><th>Webhook</th><th>Status</th><th>Attempts</th>"
            + "<th>Duration</th><th>Delivery</th></tr></thead>\n  <tbody>\n");
    for (DeliverySummary d : recent.deliveries()) {
      html.append(
          "    <tr><td>%s</td><td>%s</td><td><span class=\"%s\">%s</span></td><td>%d</td><td>%s</td><td><code>%s</code></td></tr>\n"
              .formatted(
                  d.received().truncatedTo(ChronoUnit.SECONDS),
                  escape(d.handler()),
                  d.status().label(),
                  d.status().label(),
                  d.attempts(),
                  d.durationMs() == null ? "" : d.durationMs() + " ms",
                  escape(d.id())));
    }
    return html.append("  </tbody>\n</table>\n").toString();
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
