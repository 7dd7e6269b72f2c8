package dev.hfwebhooks.hub;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The webhooks {@code serve --register} puts on the Hub for one run. Once the public URL is known
 * it syncs the handlers (never pruning), and remembers what it created; on stop it deletes those
 * again, so a laptop session with a tunnel leaves the user's settings as it found them. With a
 * stable URL (a Space's) they are kept: the next start finds them and changes nothing.
 */
public final class Registration {
  private final HubClient hub;
  private final boolean keep;
  private final List<HubWebhook> created = new ArrayList<>();
  private boolean registering;
  private boolean stopped;

  /**
   * @param hub the client, closed by {@link #unregister}
   * @param keep whether the created webhooks stay on the Hub after the run
   */
  public Registration(HubClient hub, boolean keep) {
    this.hub = hub;
    this.keep = keep;
  }

  public HubClient hub() {
    return hub;
  }

  /** Whether what it creates stays on the Hub after the run. */
  public boolean keeps() {
    return keep;
  }

  /** Carries out {@code plan}, printing one line per step, and records each webhook created. */
  public Sync.Summary register(Sync.Plan plan, Consumer<String> out) throws PartialSyncException {
    synchronized (this) {
      registering = true;
    }
    try {
      return Sync.apply(
          plan,
          hub,
          (step, result) -> {
            out.accept("  " + Sync.describe(step, result, false));
            if (step instanceof Sync.Create && result != null) {
              created(result, out);
            }
          });
    } finally {
      boolean close;
      synchronized (this) {
        registering = false;
        close = stopped;
      }
      if (close) {
        hub.close();
      }
    }
  }

  private void created(HubWebhook webhook, Consumer<String> out) {
    boolean late;
    synchronized (this) {
      late = stopped;
      if (!late) {
        created.add(webhook);
      }
    }
    // The server began to stop while this was being created: nothing else will delete it.
    if (late && !keep) {
      delete(webhook, out);
    }
  }

  /**
   * Deletes the webhooks this run created, unless they are kept; only the first call does anything.
   * A failure is reported, never thrown: the server is stopping either way.
   */
  public void unregister(Consumer<String> out) {
    List<HubWebhook> mine;
    boolean close;
    synchronized (this) {
      if (stopped) {
        return;
      }
      stopped = true;
      mine = List.copyOf(created);
      close = !registering;
    }
    if (!keep) {
      mine.forEach(webhook -> delete(webhook, out));
    }
    if (close) {
      hub.close();
    }
  }

  private void delete(HubWebhook webhook, Consumer<String> out) {
    // Ours post to BASE/webhooks/<handler>; a Hub answer without a url names no handler.
    String url = webhook.url();
    String name = url == null ? "a handler" : url.substring(url.lastIndexOf('/') + 1);
    try {
      hub.delete(webhook.id());
      out.accept("Deleted the webhook of %s from the Hub [%s].".formatted(name, webhook.id()));
    } catch (HubException e) {
      out.accept(
          "warning: could not delete the webhook of %s [%s]: %s; delete it at %s"
              .formatted(name, webhook.id(), e.getMessage(), HubClient.SETTINGS_URL));
    }
  }
}
