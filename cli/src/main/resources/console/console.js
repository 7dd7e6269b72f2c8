// The console's behaviour: copy buttons, the test-delivery forms, the live list of deliveries and
// their details and replay. Plain JavaScript run as it is written: no build step, no library.
"use strict";

(() => {
  const secretInput = document.getElementById("secret");
  const deliveries = document.querySelector("#deliveries tbody");
  const detail = document.getElementById("delivery-detail");

  // What needs this script is hidden in the HTML, so that without it nothing promises an action.
  document.querySelectorAll("[data-js]").forEach((element) => { element.hidden = false; });

  /** Builds an element; children are nodes or strings (always text, never HTML). */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => element.setAttribute(key, value));
    children.forEach((child) => {
      if (child !== null && child !== undefined) element.append(child);
    });
    return element;
  }

  /** The request headers, with the secret the user typed, if any. */
  function headers(extra) {
    const all = Object.assign({}, extra);
    if (secretInput && secretInput.value) all["X-Webhook-Secret"] = secretInput.value;
    return all;
  }

  /** A labelled block of text, or nothing when there is no text. */
  function block(label, text) {
    if (text === null || text === undefined || text === "") return null;
    return [el("h4", {}, label), el("pre", {}, text)];
  }

  function pretty(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return text;
    }
  }

  function show(box, ...parts) {
    box.replaceChildren(...parts.flat().filter((part) => part));
  }

  function errorOf(text) {
    try {
      return JSON.parse(text).error || text;
    } catch (e) {
      return text;
    }
  }

  // Copy buttons: the clipboard API where the page is a secure context, a selection otherwise.
  document.querySelectorAll("button.copy").forEach((button) => {
    button.addEventListener("click", async () => {
      const text = button.dataset.copy;
      try {
        await navigator.clipboard.writeText(text);
      } catch (e) {
        const range = document.createRange();
        range.selectNodeContents(button.previousElementSibling);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
        document.execCommand("copy");
      }
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
  });

  // Sample events, fetched once each however many forms show them.
  const samples = new Map();
  function sample(name) {
    if (!samples.has(name)) {
      samples.set(name, fetch("/samples/" + encodeURIComponent(name)).then((r) => r.text()));
    }
    return samples.get(name);
  }

  document.querySelectorAll("form.send-form").forEach((form) => {
    const select = form.elements.sample;
    const payload = form.elements.payload;
    const button = form.querySelector("button[type=submit]");
    const result = form.parentElement.querySelector(".result");
    const load = () => sample(select.value).then((text) => { payload.value = pretty(text); });
    select.addEventListener("change", load);
    load();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      show(result, el("p", {}, "Sending…"));
      const started = performance.now();
      try {
        const response = await fetch(form.dataset.route, {
          method: "POST",
          headers: headers({ "Content-Type": "application/json" }),
          body: payload.value,
        });
        const text = await response.text();
        const ms = Math.round(performance.now() - started);
        const id = response.headers.get("X-Delivery-Id");
        const summary = el("p", { class: "answer" },
          el("strong", { class: response.ok ? "succeeded" : "failed" },
            response.status + " " + (response.statusText || "")),
          " in " + ms + " ms" + (id ? " · delivery " : ""), id ? el("code", {}, id) : null);
        let record = null;
        if (id && response.status !== 202) record = await fetchRecord(id);
        let flow = null;
        try { flow = JSON.parse(text).status; } catch (e) { /* the handler's own answer */ }
        show(result, summary,
          flow === "debounced" ? el("p", {}, "Held by @debounce: it runs when its window ends,"
            + " unless a later delivery of the burst replaces it; watch the recent deliveries"
            + " below.")
            : flow === "filtered" ? el("p", {}, "Filtered: it failed one of the handler's @filter"
              + " lines, so the handler did not run.")
            : response.status === 202 ? el("p", {}, "Queued: it runs in the background; watch the"
              + " recent deliveries below.") : null,
          block("Answer", pretty(text)),
          record ? block("Console and stderr", record.stderr) : null,
          record ? el("p", { class: "help" }, "The handler ran for " + record.durationMs + " ms.")
            : null);
      } catch (e) {
        show(result, el("p", { class: "failed" }, "Could not reach the server: " + e.message));
      } finally {
        button.disabled = false;
      }
      refreshDeliveries();
    });
  });

  /** A delivery's full record, or null when the secret is missing or wrong. */
  async function fetchRecord(id) {
    const response = await fetch("/api/deliveries/" + encodeURIComponent(id),
      { headers: headers({}) });
    return response.ok ? response.json() : null;
  }

  async function showDetails(id) {
    const response = await fetch("/api/deliveries/" + encodeURIComponent(id),
      { headers: headers({}) });
    const text = await response.text();
    if (!response.ok) {
      show(detail, el("p", { class: "failed" }, response.status + ": " + errorOf(text)));
      return;
    }
    const record = JSON.parse(text);
    const attempts = el("ol", {}, ...record.history.map((a) => el("li", {},
      a.trigger + ", " + a.started + ": ", el("span", { class: a.status }, a.status),
      a.durationMs === null ? "" : " in " + a.durationMs + " ms",
      a.server ? " on " + a.server : "",
      a.error ? " (" + a.error + ")" : "")));
    show(detail, el("h3", {}, "Delivery ", el("code", {}, record.id), " to " + record.handler),
      el("h4", {}, "Attempts"), attempts,
      block("Payload", pretty(record.body)),
      block("Output", record.output),
      block("Console and stderr", record.stderr));
    detail.focus();
  }

  async function replay(id, button) {
    button.disabled = true;
    show(detail, el("p", {}, "Replaying " + id + "…"));
    try {
      const response = await fetch("/api/deliveries/" + encodeURIComponent(id) + "/replay",
        { method: "POST", headers: headers({}) });
      const text = await response.text();
      if (!response.ok) {
        show(detail, el("p", { class: "failed" }, response.status + ": " + errorOf(text)));
        return;
      }
      const run = JSON.parse(text);
      show(detail,
        run.note ? el("p", { class: "note" }, "Note: " + run.note + ".") : null,
        el("p", { class: "answer" }, "Replayed delivery ", el("code", {}, run.delivery),
          " as attempt " + run.attempt + ": ", el("strong", { class: run.status }, run.status),
          " in " + run.durationMs + " ms" + (run.error ? " (" + run.error + ")" : "")),
        block("Output", run.output),
        block("Console and stderr", run.stderr));
    } finally {
      button.disabled = false;
      refreshDeliveries();
    }
  }

  // The recent deliveries, polled every 2 s. The table is rebuilt only when the list changed, so
  // that a keyboard user's focus on a button is not lost every 2 seconds.
  let shown = null;
  async function refreshDeliveries() {
    if (!deliveries) return;
    let text;
    try {
      const response = await fetch("/api/deliveries?limit=20", { cache: "no-store" });
      if (!response.ok) return;
      text = await response.text();
    } catch (e) {
      return; // the server is restarting; the next poll tries again
    }
    if (text === shown) return;
    shown = text;
    const list = JSON.parse(text).deliveries;
    document.getElementById("no-deliveries").hidden = list.length > 0;
    deliveries.replaceChildren(...list.map((d) => {
      const details = el("button", { type: "button", class: "secondary",
        "aria-label": "Details of delivery " + d.id }, "Details");
      details.addEventListener("click", () => showDetails(d.id));
      const again = el("button", { type: "button", class: "secondary replay",
        "aria-label": "Replay delivery " + d.id }, "Replay");
      again.addEventListener("click", () => replay(d.id, again));
      return el("tr", { "data-id": d.id },
        el("td", {}, el("time", { datetime: d.received }, new Date(d.received).toLocaleString())),
        el("td", {}, d.handler),
        el("td", {}, el("span", { class: "status " + d.status }, d.status),
          d.note ? el("br", {}) : null, d.note ? el("small", { class: "note" }, d.note) : null),
        el("td", {}, String(d.attempts)),
        el("td", {}, d.durationMs === null ? "" : d.durationMs + " ms"),
        el("td", {}, el("code", {}, d.id)),
        el("td", { class: "actions" }, details, again));
    }));
  }

  if (detail) detail.tabIndex = -1;
  refreshDeliveries();
  setInterval(() => { if (!document.hidden) refreshDeliveries(); }, 2000);
})();
