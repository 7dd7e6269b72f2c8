package dev.hfwebhooks.server;

import dev.hfwebhooks.flow.Flow;
import dev.hfwebhooks.handler.Directives;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.journal.DeliverySummary;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The console at {@code /}: this server's webhooks with the URLs to register and their state, how
 * to register them, a form per webhook to send a sample event, and the recent deliveries.
 *
 * <p>Rendered here so that everything but sending and replaying works without JavaScript; {@code
 * /assets/console.js} adds the forms, copy buttons and the live list. Nothing loads from elsewhere,
 * so it works offline and on a Space alike.
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
  record Recent(
      String journal, boolean async, List<DeliverySummary> deliveries, @Nullable String problem) {}

  static String render(String baseUrl, boolean hasSecret, Handlers handlers, Recent recent) {
    HandlerScan scan = handlers.scan();
    StringBuilder cards = new StringBuilder();
    for (Handler handler : handlers.all()) {
      cards.append(card(baseUrl, handler, handlers));
    }
    if (scan.handlers().isEmpty()) {
      cards.append(
          "<p>No handlers in this folder yet: add a <code>.js</code>, <code>.mjs</code> or"
              + " <code>.sh</code> file; it is served as soon as it is saved.</p>\n");
    }
    scan.conflicts()
        .forEach(
            c ->
                cards.append(
                    """
                    <article class="webhook"><h3>%s <span class="state broken">not served</span></h3>
                    <p class="problem">%s</p></article>
                    """
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
            ? """
              <p class="ok">A secret is set: the Hub must send it (the webhook's <em>Secret</em>
              field). The page never shows it.</p>
              <div class="secret-box" data-js hidden>
                <label for="secret">Secret, for the forms and the deliveries' details below</label>
                <input type="password" id="secret" autocomplete="off" spellcheck="false"
                  aria-describedby="secret-help">
                <p id="secret-help" class="help">Sent as <code>X-Webhook-Secret</code>; kept in
                this page only, never stored.</p>
              </div>
              """
            : "<p class=\"warn\">No secret is set: anyone who knows these URLs can trigger them,"
                + " and read the deliveries. Restart with <code>--secret</code> or"
                + " <code>WEBHOOK_SECRET</code>.</p>\n";
    return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>hf-webhooks</title>
        <link rel="stylesheet" href="/assets/console.css">
        <script src="/assets/console.js" defer></script>
        </head>
        <body data-has-secret="%s">
        <main>
        <h1>hf-webhooks</h1>
        <p>This server runs your code when the Hugging Face Hub sends a webhook: each file of the
        handlers folder answers <code>POST /webhooks/&lt;name&gt;</code>.</p>
        %s
        <noscript><p class="warn">Turn on JavaScript to send test deliveries from this page, or run
        <code>hf-webhooks test NAME PAYLOAD</code>.</p></noscript>
        <h2>Webhooks</h2>
        <div class="webhooks">
        %s</div>
        <h2>Register a webhook on the Hub</h2>
        <p>A handler that declares what it watches (<code>// @watch model:acme/sentiment-model</code>
        within its first 20 lines) is registered for you by
        <code>hf-webhooks hub sync --url %s</code>, or by <code>serve --register</code>. By hand:</p>
        <ol>
          <li>Open <a href="%s">%s</a> and create a webhook.</li>
          <li>Choose the repositories or users to watch (a handler's <em>Watches</em> above), and
          the events (repo changes, discussions).</li>
          <li>Paste the URL of a webhook above as the <em>Webhook URL</em>.</li>
          <li>Set the <em>Secret</em> to this server's secret.</li>
        </ol>
        <p>The Hub must reach this URL from the internet: on a laptop, run
        <code>hf-webhooks serve --tunnel</code>; on a Hugging Face Space, the Space's URL is
        used.</p>
        %s
        %s
        </main>
        </body>
        </html>
        """
        .formatted(
            hasSecret,
            secret,
            cards,
            escape(baseUrl),
            StartupMessage.SETTINGS_URL,
            StartupMessage.SETTINGS_URL,
            skipped.isEmpty() ? "" : "<h2>Skipped files</h2>\n<ul>\n" + skipped + "</ul>",
            deliveries(recent));
  }

  private static String card(String baseUrl, Handler handler, Handlers handlers) {
    HandlerFile h = handler.file();
    String name = escape(h.name());
    Directives.Declared declared = handlers.declared(h.name()).orElseGet(() -> Directives.read(h));
    // A malformed directive keeps the handler from running (a filter must never be skipped).
    String state =
        handler
            .problem()
            .or(() -> declared.blocking().map(Directives.Problem::message))
            .map(
                p ->
                    "<span class=\"state broken\">broken</span></h3>\n<p class=\"problem\">"
                        + escape(p)
                        + "</p>")
            .orElse("<span class=\"state ready\">ready</span></h3>");
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
            .orElse("nothing declared");
    StringBuilder options = new StringBuilder();
    Samples.ALL.forEach(
        s ->
            options.append(
                "<option value=\"%s\">%s</option>".formatted(escape(s.file()), escape(s.label()))));
    return """
        <article class="webhook" id="webhook-%1$s" data-name="%1$s">
        <h3>%1$s %2$s
        <dl>
          <dt>URL</dt>
          <dd><code class="url">POST %3$s</code>
            <button type="button" class="copy" data-copy="%3$s" data-js hidden
              aria-label="Copy the URL of %1$s">Copy</button></dd>
          <dt>Kind</dt><dd>%4$s</dd>
          <dt>Watches</dt><dd>%5$s</dd>%9$s
          <dt>File</dt><dd><code>%6$s</code></dd>
        </dl>
        <details class="send" data-js hidden>
          <summary>Send a test delivery</summary>
          <form class="send-form" data-route="%7$s">
            <label for="sample-%1$s">Sample event</label>
            <select id="sample-%1$s" name="sample">%8$s</select>
            <label for="payload-%1$s">Payload (JSON, editable)</label>
            <textarea id="payload-%1$s" name="payload" rows="10" spellcheck="false"></textarea>
            <button type="submit">Send to %1$s</button>
          </form>
          <div class="result" role="status" aria-live="polite"></div>
        </details>
        </article>
        """
        .formatted(
            name,
            state,
            escape(baseUrl + h.route()),
            escape(h.kind().label()),
            watches,
            escape(
                h.path().getFileName()
                    + (h.function() == null ? "" : ", function " + h.function() + "()")),
            escape(h.route()),
            options,
            flow(declared.flow()));
  }

  /** The flow control lines, one per line, when the handler declares any. */
  private static String flow(Flow flow) {
    List<String> lines = flow.describe();
    if (lines.isEmpty()) {
      return "";
    }
    StringBuilder dd = new StringBuilder("\n  <dt>Flow control</dt><dd class=\"flow\">");
    for (int i = 0; i < lines.size(); i++) {
      dd.append(i == 0 ? "" : "<br>")
          .append("<code>")
          .append(escape(lines.get(i)))
          .append("</code>");
    }
    return dd.append("</dd>").toString();
  }

  private static String deliveries(Recent recent) {
    StringBuilder html =
        new StringBuilder("<section id=\"recent\" aria-labelledby=\"recent-title\">\n");
    html.append("<h2 id=\"recent-title\">Recent deliveries</h2>\n");
    // The page is public: it says how deliveries are handled, not where the journal is.
    html.append(
        recent.async()
            ? "<p>Deliveries are answered 202 once recorded, and run in the background.</p>\n"
            : "<p>Deliveries are recorded, then run as they arrive.</p>\n");
    if (recent.problem() != null) {
      return html.append("<p class=\"warn\">")
          .append(escape(recent.problem()))
          .append("</p>\n</section>\n")
          .toString();
    }
    html.append(
        "<p id=\"no-deliveries\"%s>None yet.</p>\n"
            .formatted(recent.deliveries().isEmpty() ? "" : " hidden"));
    html.append(
        "<div class=\"scroll\"><table id=\"deliveries\">\n  <thead><tr><th>Received</th>"
            + "<th>Webhook</th><th>Status</th><th>Attempts</th><th>Duration</th><th>Delivery</th>"
            + "<th><span class=\"visually-hidden\">Actions</span></th></tr></thead>\n  <tbody>\n");
    for (DeliverySummary d : recent.deliveries()) {
      html.append(
          "    <tr data-id=\"%s\"><td><time datetime=\"%s\">%s</time></td><td>%s</td><td><span class=\"status %s\">%s</span>%s</td><td>%d</td><td>%s</td><td><code>%s</code></td><td></td></tr>\n"
              .formatted(
                  escape(d.id()),
                  d.received(),
                  d.received().truncatedTo(ChronoUnit.SECONDS),
                  escape(d.handler()),
                  d.status().label(),
                  d.status().label(),
                  d.note() == null
                      ? ""
                      : "<br><small class=\"note\">" + escape(d.note()) + "</small>",
                  d.attempts(),
                  d.durationMs() == null ? "" : d.durationMs() + " ms",
                  escape(d.id())));
    }
    html.append("  </tbody>\n</table></div>\n");
    html.append(
        "<div id=\"delivery-detail\" class=\"result\" role=\"status\" aria-live=\"polite\"></div>\n");
    return html.append("</section>\n").toString();
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
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
