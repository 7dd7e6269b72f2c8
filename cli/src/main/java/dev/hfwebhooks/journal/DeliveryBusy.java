package dev.hfwebhooks.journal;

/**
 * A replay refused because a server has the delivery queued or running ({@code serve --async}): run
 * now, it would run twice at once.
 */
public final class DeliveryBusy extends JournalException {
  private final Status status;

  public DeliveryBusy(String id, Status status, String where) {
    super(
        "delivery %s is %s in %s: replayed now it would run twice at once; wait until it has finished (hf-webhooks deliveries show %s), then replay it"
            .formatted(id, status.label(), where, id));
    this.status = status;
  }

  /** Queued or running. */
  public Status status() {
    return status;
  }
}
