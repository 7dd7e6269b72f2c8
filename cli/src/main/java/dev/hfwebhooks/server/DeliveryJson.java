package dev.hfwebhooks.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.DeliverySummary;
import dev.hfwebhooks.journal.RecordedRun;
import dev.hfwebhooks.payload.Json;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The journal as the console's JSON endpoints show it. The list line is public, so it holds no
 * payload, output or error line (those may quote a handler's secrets); the full record is for
 * callers that passed the secret check.
 */
final class DeliveryJson {
  private DeliveryJson() {}

  static String list(List<DeliverySummary> deliveries) {
    ObjectNode root = Json.object();
    var array = root.putArray("deliveries");
    deliveries.forEach(d -> summary(array.addObject(), d));
    return Json.write(root);
  }

  static String record(DeliveryRecord record) {
    ObjectNode root = Json.object();
    summary(root, record.summary());
    root.put("error", record.summary().error());
    root.put("exitStatus", record.summary().exitStatus());
    root.put("body", new String(record.body(), StandardCharsets.UTF_8));
    ObjectNode headers = root.putObject("headers");
    record.headers().entrySet().stream()
        .sorted(java.util.Map.Entry.comparingByKey())
        .forEach(e -> headers.put(e.getKey(), e.getValue()));
    root.put("output", record.output());
    root.put("stderr", record.stderr());
    var history = root.putArray("history");
    for (Attempt a : record.attempts()) {
      history
          .addObject()
          .put("number", a.number())
          .put("trigger", a.trigger().label())
          .put("started", a.started().toString())
          .put("status", a.status().label())
          .put("exitStatus", a.exitStatus())
          .put("durationMs", a.durationMs())
          .put("error", a.error())
          .put("server", a.server());
    }
    return Json.write(root);
  }

  /** A replay's answer; {@code note} says why it ran although it had not (or null). */
  static String replay(String id, @Nullable String note, RecordedRun.Replay replay) {
    return Json.write(
        Json.object()
            .put("delivery", id)
            .put("note", note)
            .put("attempt", replay.attempt())
            .put("status", replay.result().status().label())
            .put("durationMs", replay.result().durationMs())
            .put("exitStatus", replay.result().exitStatus())
            .put("error", replay.result().error())
            .put("output", replay.result().output())
            .put("stderr", replay.result().stderr()));
  }

  private static void summary(ObjectNode node, DeliverySummary d) {
    node.put("id", d.id())
        .put("received", d.received().truncatedTo(ChronoUnit.MILLIS).toString())
        .put("handler", d.handler())
        .put("status", d.status().label())
        .put("attempts", d.attempts())
        .put("durationMs", d.durationMs());
    if (d.note() != null) {
      node.put("note", d.note());
    }
  }
}
