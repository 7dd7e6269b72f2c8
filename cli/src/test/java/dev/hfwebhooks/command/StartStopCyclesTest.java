package dev.hfwebhooks.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServeProcess;
import dev.hfwebhooks.testing.StandInClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM while everything runs at once: a slow handler mid-delivery, {@code --async} retries
 * waiting, a tunnel client, warm Python workers, a JavaScript context; twenty times over one data
 * dir (issue 20). Every stop runs to its end and leaves no process behind; every start is clean; no
 * accepted delivery is lost.
 */
class StartStopCyclesTest {
  private static final int CYCLES = 20;

  @Test
  void twentyStopsWithEverythingRunningLeaveNothingBehindAndLoseNoDelivery(
      @TempDir Path handlers, @TempDir Path data, @TempDir Path bin, @TempDir Path runs)
      throws Exception {
    Path ran = runs.resolve("ran.log");
    Path started = runs.resolve("started.log");
    Fixtures.write(
        handlers,
        "slow.sh",
        "#!/bin/sh\necho \"$WEBHOOK_DELIVERY_ID\" >> '"
            + started
            + "'\nsleep 0.4\necho \"$WEBHOOK_DELIVERY_ID\" >> '"
            + ran
            + "'\n");
    // Fails the first time it sees a delivery: its retry waits in the queue at the next stop.
    Fixtures.write(
        handlers,
        "flaky.sh",
        """
        #!/bin/sh
        if [ ! -e '%1$s/seen-'"$WEBHOOK_DELIVERY_ID" ]; then
          touch '%1$s/seen-'"$WEBHOOK_DELIVERY_ID"; exit 1
        fi
        echo "$WEBHOOK_DELIVERY_ID" >> '%2$s'
        """
            .formatted(runs, ran));
    Files.writeString(
        handlers.resolve("app.py"),
        """
        def handle(payload, context):
            with open(%s, "a") as ran:
                ran.write(context.delivery_id + "\\n")
        """
            .formatted("'" + ran + "'"));
    Files.writeString(
        handlers.resolve("note.js"),
        "function handle(payload, context) { return { id: context.deliveryId }; }\n");
    Path ngrok = StandInClients.ngrok(bin);
    String[] options = {
      "--async",
      "--retry-delay",
      "300ms",
      "--data-dir",
      data.toString(),
      "--dir",
      handlers.toString(),
      "--python",
      "/usr/bin/python3",
      "--tunnel-bin",
      ngrok.toString()
    };
    HttpClient client = HttpClient.newHttpClient();
    List<String> accepted = new ArrayList<>();
    List<String> js = new ArrayList<>();
    for (int cycle = 1; cycle <= CYCLES; cycle++) {
      ServeProcess server = ServeProcess.start(Map.of(), options);
      try {
        for (String name : List.of("slow", "flaky", "app", "note")) {
          HttpResponse<String> response = post(client, server, name);
          assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
          String id = response.headers().firstValue("X-Delivery-Id").orElseThrow();
          (name.equals("note") ? js : accepted).add(id);
          if (name.equals("slow")) {
            // Stopped mid-delivery: the slow one has started.
            awaitTrue(() -> Files.readAllLines(started).contains(id), server);
          }
        }
      } finally {
        List<ProcessHandle> children = server.process().descendants().toList();
        server.close();
        // 143: the JVM's status after SIGTERM, once its shutdown ran to the end.
        assertThat(server.process().exitValue())
            .as("cycle %d:%n%s", cycle, server.log())
            .isEqualTo(143);
        String log = server.log();
        awaitTrue(() -> server.log().endsWith("Stopped."), server);
        assertThat(log).doesNotContain("Exception").doesNotContain("error:");
        for (ProcessHandle child : children) {
          awaitTrue(() -> !child.isAlive(), server);
        }
      }
    }
    // The last start runs what the stops left queued: every delivery ran at least once.
    try (ServeProcess last = ServeProcess.start(Map.of(), options)) {
      awaitTrue(() -> Files.exists(ran) && Files.readAllLines(ran).containsAll(accepted), last);
      awaitTrue(
          () -> {
            CliTest.Run list =
                CliTest.run(
                    "deliveries", "--data-dir", data.toString(), "--limit", "1000", "--json");
            return Pattern.compile("\"status\":\"succeeded\"").matcher(list.out()).results().count()
                == accepted.size() + js.size();
          },
          last);
    }
  }

  private static HttpResponse<String> post(HttpClient client, ServeProcess server, String name)
      throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(server.url() + "/webhooks/" + name))
            .POST(HttpRequest.BodyPublishers.ofByteArray(Fixtures.payload("repo-create.json")))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  interface Check {
    boolean holds() throws Exception;
  }

  private static void awaitTrue(Check check, ServeProcess server) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!check.holds()) {
      assertThat(System.nanoTime()).as(server.log()).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }
}
