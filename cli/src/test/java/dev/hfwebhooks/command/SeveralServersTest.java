package dev.hfwebhooks.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.journal.postgres.PostgresJournal;
import dev.hfwebhooks.journal.postgres.PostgresUrl;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.Postgres;
import dev.hfwebhooks.testing.ServeProcess;
import dev.hfwebhooks.testing.TcpProxy;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real {@code serve --async} processes on one PostgreSQL journal, one of them killed with
 * SIGKILL in the middle of a run: issue 18's proof that deliveries are shared, each accepted one
 * runs, none runs on two servers at once, and a dead server's are taken over once its lease lapses.
 */
class SeveralServersTest {
  static Postgres postgres;

  @BeforeAll
  static void database() {
    postgres = Postgres.database(SeveralServersTest.class);
  }

  @AfterAll
  static void drop() {
    postgres.close();
  }

  /** One line a handler run wrote: when it started or ended, on which server. */
  record Mark(boolean start, String id, String server, long nanos) {}

  @Test
  void threeServersShareTheDeliveriesAndTakeOverADeadOnesOnceItsLeaseLapses(
      @TempDir Path handlers, @TempDir Path runs) throws Exception {
    PostgresUrl url = postgres.freshSchema();
    Path log = runs.resolve("runs.log");
    Path work = handlers.resolve("work.sh");
    Files.writeString(
        work,
        """
        #!/bin/sh
        echo "start $WEBHOOK_DELIVERY_ID $TEST_SERVER $(date +%%s%%N)" >> '%s'
        sleep 0.3
        echo "end $WEBHOOK_DELIVERY_ID $TEST_SERVER $(date +%%s%%N)" >> '%s'
        """
            .formatted(log, log));
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));

    List<ServeProcess> servers = new ArrayList<>();
    List<String> accepted = new ArrayList<>();
    long killedAt;
    try {
      for (int i = 0; i < 3; i++) {
        servers.add(
            ServeProcess.start(
                // The URL, password and all, through the environment: not on a command line.
                Map.of("HF_WEBHOOKS_JOURNAL", asTyped(url), "TEST_SERVER", "s" + i),
                "--async",
                "--workers",
                "3",
                "--dir",
                handlers.toString()));
      }
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      byte[] payload = Fixtures.payload("repo-create.json");
      killedAt = 0;
      for (int i = 0; i < 300; i++) {
        if (i == 120) {
          // Mid-run: it holds running deliveries and has queued ones no one started.
          servers.get(1).kill();
          killedAt = System.currentTimeMillis() * 1_000_000; // as the handler's date +%s%N
        }
        // As a load balancer would: the next server when one refuses the connection.
        for (int to = i % 3; ; to = (to + 1) % 3) {
          try {
            HttpResponse<String> response =
                client.send(
                    HttpRequest.newBuilder(URI.create(servers.get(to).url() + "/webhooks/work"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            accepted.add(response.headers().firstValue("X-Delivery-Id").orElseThrow());
            break;
          } catch (ConnectException e) {
            assertThat(to).as("only the killed server refuses").isEqualTo(1);
          }
        }
      }
      // Recorded as run, not only run: the killed server's runs were never recorded, and only a
      // takeover, once their leases lapse, records them.
      awaitTrue(
          "every accepted delivery recorded as succeeded",
          Duration.ofMinutes(2),
          () -> succeeded(url) == accepted.size());
    } finally {
      for (ServeProcess server : servers) {
        server.close();
      }
    }

    List<Mark> marks = marks(log);
    assertThat(accepted).hasSize(300);
    assertThat(ended(marks)).containsAll(accepted);
    // Which servers ran them: all three took some (the killed one before it died).
    assertThat(marks.stream().filter(Mark::start).map(Mark::server).distinct())
        .containsExactlyInAnyOrder("s0", "s1", "s2");

    // No delivery ran on two servers at once: a delivery's runs do not overlap.
    Map<String, List<Mark>> byId = new HashMap<>();
    for (Mark mark : marks) {
      byId.computeIfAbsent(mark.id(), k -> new ArrayList<>()).add(mark);
    }
    List<String> takenOver = new ArrayList<>();
    for (Map.Entry<String, List<Mark>> runsOf : byId.entrySet()) {
      List<Mark> m = runsOf.getValue();
      long starts = m.stream().filter(Mark::start).count();
      if (starts > 1) {
        takenOver.add(runsOf.getKey());
        // Only what the killed server ran may run again (its handler may even have finished,
        // but the server died before recording it: at least once), and only after the kill.
        Mark first = m.stream().filter(Mark::start).findFirst().orElseThrow();
        assertThat(first.server()).as(runsOf.getKey()).isEqualTo("s1");
        // Taken over within the lease, not before it lapsed: s1 renewed it at most a heart-beat
        // before it died.
        Mark again = m.stream().filter(Mark::start).skip(1).findFirst().orElseThrow();
        long lease = PostgresJournal.LEASE.toNanos();
        assertThat(again.nanos() - killedAt)
            .as(
                "%s taken over %d ms after the kill",
                runsOf.getKey(), (again.nanos() - killedAt) / 1_000_000)
            .isBetween(
                lease - PostgresJournal.HEARTBEAT.toNanos() - TimeUnit.SECONDS.toNanos(1),
                lease + TimeUnit.SECONDS.toNanos(5));
      }
      List<Mark> sorted = m.stream().sorted((a, b) -> Long.compare(a.nanos(), b.nanos())).toList();
      for (int i = 1; i < sorted.size(); i++) {
        if (sorted.get(i).start()) {
          Mark before = sorted.get(i - 1);
          assertThat(!before.start() || before.server().equals("s1"))
              .as("%s started again on %s while running", runsOf.getKey(), sorted.get(i).server())
              .isTrue();
        }
      }
    }
    assertThat(takenOver).as("the killed server held running deliveries").isNotEmpty();

    // deliveries shows every accepted one, succeeded, with the server of each attempt.
    CliTest.Run list =
        CliTest.run("deliveries", "--journal", asTyped(url), "--limit", "1000", "--json");
    assertThat(list.exit()).as(list.err()).isZero();
    Matcher succeeded = Pattern.compile("\"status\":\"succeeded\"").matcher(list.out());
    assertThat(succeeded.results().count()).isEqualTo(accepted.size());
    CliTest.Run show =
        CliTest.run("deliveries", "show", takenOver.getFirst(), "--journal", asTyped(url));
    assertThat(show.exit()).as(show.err()).isZero();
    assertThat(show.out())
        .contains("recovery")
        .contains("interrupted: the server")
        .containsPattern("on \\S+/\\d+");
    assertThat(show.out() + list.out()).doesNotContain(url.password());
  }

  @Test
  void losingTheDatabaseAnswers503UntilItIsBackThenServesAgainByItself(
      @TempDir Path handlers, @TempDir Path runs) throws Exception {
    PostgresUrl direct = postgres.freshSchema();
    Path log = runs.resolve("ran.log");
    Path note = handlers.resolve("note.sh");
    Files.writeString(note, "#!/bin/sh\necho \"$WEBHOOK_DELIVERY_ID\" >> '" + log + "'\n");
    Files.setPosixFilePermissions(note, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> accepted = new ArrayList<>();
    try (TcpProxy proxy = TcpProxy.to(direct.host(), direct.port())) {
      PostgresUrl url =
          new PostgresUrl(
              "127.0.0.1",
              proxy.port(),
              direct.database(),
              direct.user(),
              direct.password(),
              direct.parameters());
      try (ServeProcess server =
          ServeProcess.start(
              Map.of("HF_WEBHOOKS_JOURNAL", asTyped(url)),
              "--async",
              "--dir",
              handlers.toString())) {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> before = post(client, server);
        assertThat(before.statusCode()).as(before.body()).isEqualTo(202);
        accepted.add(before.headers().firstValue("X-Delivery-Id").orElseThrow());

        proxy.cut();
        HttpResponse<String> lost = post(client, server);
        assertThat(lost.statusCode()).as(lost.body()).isEqualTo(503);
        assertThat(lost.body()).contains("could not be recorded");

        proxy.restore();
        awaitTrue(
            "deliveries accepted again once the database is back",
            Duration.ofSeconds(60),
            () -> {
              HttpResponse<String> after = post(client, server);
              after
                  .headers()
                  .firstValue("X-Delivery-Id")
                  .filter(id -> after.statusCode() == 202)
                  .ifPresent(accepted::add);
              return after.statusCode() == 202;
            });
        awaitTrue(
            "every accepted delivery ran",
            Duration.ofSeconds(60),
            () -> Files.exists(log) && Files.readAllLines(log).containsAll(accepted));
        awaitTrue(
            "every accepted delivery recorded as succeeded",
            Duration.ofSeconds(60),
            () -> succeeded(direct) == accepted.size());
        assertThat(server.log())
            .contains("cannot record the delivery")
            .doesNotContain(direct.password());
      }
    }
  }

  private static HttpResponse<String> post(HttpClient client, ServeProcess server)
      throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(server.url() + "/webhooks/note"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(Fixtures.payload("repo-create.json")))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long succeeded(PostgresUrl url) throws Exception {
    try (Connection c = Postgres.connect(url);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM hf_webhooks_deliveries WHERE status = 'succeeded'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The URL as a user writes it. */
  private static String asTyped(PostgresUrl url) {
    String text =
        "postgresql://"
            + url.user()
            + ':'
            + url.password()
            + '@'
            + url.host()
            + ':'
            + url.port()
            + '/'
            + url.database();
    String query =
        String.join(
            "&",
            url.parameters().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .toList());
    return query.isEmpty() ? text : text + "?" + query;
  }

  private static List<Mark> marks(Path log) throws IOException {
    if (!Files.exists(log)) {
      return List.of();
    }
    List<Mark> marks = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      String[] f = line.split(" ", -1);
      if (f.length == 4) {
        marks.add(new Mark(f[0].equals("start"), f[1], f[2], Long.parseLong(f[3])));
      }
    }
    return marks;
  }

  private static Set<String> ended(List<Mark> marks) {
    Set<String> ended = new HashSet<>();
    marks.stream().filter(m -> !m.start()).forEach(m -> ended.add(m.id()));
    return ended;
  }

  interface Check {
    boolean holds() throws Exception;
  }

  private static void awaitTrue(String what, Duration limit, Check check) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!check.holds()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }
}
