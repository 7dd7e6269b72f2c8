package dev.hfwebhooks.journal;

import dev.hfwebhooks.testing.Fixtures;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** Deliveries and results to put in a journal under test, whichever store holds it. */
public final class Records {
  public static final byte[] PUSH = Fixtures.payload("model-repo-content-update.json");

  private Records() {}

  public static NewDelivery arrived(String handler) {
    return arrived(handler, Instant.now());
  }

  public static NewDelivery arrived(String handler, Instant received) {
    return new NewDelivery(
        UUID.randomUUID().toString(),
        received,
        handler,
        PUSH,
        Map.of("content-type", "application/json", "user-agent", "HF-Webhooks"));
  }

  public static AttemptResult succeeded() {
    return new AttemptResult(Status.SUCCEEDED, 0, 12, null, "{\"ok\":true}", "done");
  }

  public static AttemptResult failed(int exit) {
    return new AttemptResult(
        Status.FAILED, exit, 7, "deploy exited with status " + exit, null, "disk full");
  }
}
