package dev.hfwebhooks.handler;

import static dev.hfwebhooks.testing.Fixtures.payload;

import dev.hfwebhooks.payload.PayloadParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Runs one handler of a folder on a payload, the way serve and test do, collecting its log. */
public final class HandlerRun {
  public final List<String> log = new CopyOnWriteArrayList<>();

  public Outcome run(Handlers handlers, String name, byte[] body, Duration timeout)
      throws Exception {
    Delivery delivery =
        new Delivery(
            Delivery.newId(),
            body,
            PayloadParser.parse(body),
            Map.of("user-agent", "test"),
            timeout,
            log::add);
    return DeliveryRunner.run(handlers.find(name).orElseThrow(), delivery);
  }

  static Outcome once(Path dir, String name) throws Exception {
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      return new HandlerRun()
          .run(handlers, name, payload("model-repo-content-update.json"), Duration.ofSeconds(10));
    }
  }
}
