package dev.hfwebhooks.journal.postgres;

import static dev.hfwebhooks.journal.Records.arrived;
import static dev.hfwebhooks.journal.Records.failed;
import static dev.hfwebhooks.journal.Records.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hfwebhooks.journal.Attempt;
import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import dev.hfwebhooks.testing.Postgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What only a journal several servers share does, on a real PostgreSQL: claims, leases, retries
 * across servers, and its errors. Two journals opened on one database stand for two servers.
 */
class PostgresJournalTest {
  static Postgres postgres;
  PostgresUrl url;

  @BeforeAll
  static void database() {
    postgres = Postgres.database(PostgresJournalTest.class);
  }

  @AfterAll
  static void drop() {
    postgres.close();
  }

  @BeforeEach
  void schema() {
    url = postgres.freshSchema();
  }

  @Test
  void serversClaimingAtOnceEachGetOtherDeliveriesOldestFirst() throws Exception {
    List<String> ids = new ArrayList<>();
    try (PostgresJournal a = PostgresJournal.openForServe(url, Retention.DEFAULT);
        PostgresJournal b = PostgresJournal.openForServe(url, Retention.DEFAULT)) {
      for (int i = 0; i < 60; i++) {
        NewDelivery d = arrived("deploy", Instant.now().plusMillis(i));
        (i % 2 == 0 ? a : b).enqueue(d);
        ids.add(d.id());
      }
      Map<String, String> claimedBy = new ConcurrentHashMap<>();
      List<String> duplicates = Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(6);
      List<Future<List<String>>> orders = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        PostgresJournal server = t % 2 == 0 ? a : b;
        Callable<List<String>> claimer =
            () -> {
              List<String> order = new ArrayList<>();
              for (Optional<Journal.Started> s = server.claim();
                  s.isPresent();
                  s = server.claim()) {
                String id = s.get().delivery().id();
                order.add(id);
                if (claimedBy.putIfAbsent(id, server.server()) != null) {
                  duplicates.add(id);
                }
                server.finish(id, s.get().number(), succeeded(), Status.SUCCEEDED);
              }
              return order;
            };
        orders.add(pool.submit(claimer));
      }
      for (Future<List<String>> order : orders) {
        List<String> taken = order.get();
        // Each claimer took its deliveries in arrival order.
        assertThat(taken).isSortedAccordingTo((x, y) -> ids.indexOf(x) - ids.indexOf(y));
      }
      pool.shutdown();

      assertThat(duplicates).isEmpty();
      assertThat(claimedBy.keySet()).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(a.list(new Query(null, Status.SUCCEEDED, 100))).hasSize(60);
    }
  }

  @Test
  void aClaimedDeliveryIsRunningOnItsServerWithItsAttemptNamingIt() {
    NewDelivery delivery = arrived("deploy");
    try (PostgresJournal a = PostgresJournal.openForServe(url, Retention.DEFAULT);
        PostgresJournal b = PostgresJournal.openForServe(url, Retention.DEFAULT)) {
      a.enqueue(delivery);
      Journal.Started started = b.claim().orElseThrow();

      assertThat(started.number()).isEqualTo(1);
      assertThat(started.delivery().body()).isEqualTo(delivery.body());
      assertThat(a.claim()).as("taken already").isEmpty();
      Attempt attempt = a.find(delivery.id()).orElseThrow().attempts().getFirst();
      assertThat(attempt.trigger()).isEqualTo(Trigger.RECEIVED);
      assertThat(attempt.status()).isEqualTo(Status.RUNNING);
      assertThat(attempt.server()).isEqualTo(b.server()).isNotEqualTo(a.server());
    }
  }

  @Test
  void aRetryWaitsForItsBackOffThenAnyServerRunsIt() throws Exception {
    NewDelivery delivery = arrived("deploy");
    try (PostgresJournal a = PostgresJournal.openForServe(url, Retention.DEFAULT);
        PostgresJournal b = PostgresJournal.openForServe(url, Retention.DEFAULT)) {
      a.enqueue(delivery);
      Journal.Started first = a.claim().orElseThrow();
      a.finish(delivery.id(), first.number(), failed(1), Status.QUEUED, Duration.ofMillis(700));

      assertThat(b.claim()).as("still backing off").isEmpty();
      assertThat(a.find(delivery.id()).orElseThrow().summary().status()).isEqualTo(Status.QUEUED);
      Thread.sleep(900);
      Journal.Started retry = b.claim().orElseThrow();

      assertThat(retry.number()).isEqualTo(2);
      assertThat(retry.delivery().attempts())
          .extracting(Attempt::trigger, Attempt::status)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(Trigger.RECEIVED, Status.FAILED),
              org.assertj.core.groups.Tuple.tuple(Trigger.RETRY, Status.RUNNING));
    }
  }

  @Test
  void aLiveServersDeliveryIsNeverTakenAndADeadOnesIsOnceItsLeaseLapses() throws Exception {
    NewDelivery delivery = arrived("deploy");
    try (PostgresJournal a = PostgresJournal.openForServe(url, Retention.DEFAULT);
        PostgresJournal b = PostgresJournal.openForServe(url, Retention.DEFAULT)) {
      a.acceptRunning(delivery);

      assertThat(b.claim()).as("its server holds the lease").isEmpty();

      // As if a's heart-beat had stopped 31 s ago (a killed server renews nothing).
      try (Connection c = Postgres.connect(url);
          Statement s = c.createStatement()) {
        s.executeUpdate(
            "UPDATE hf_webhooks_deliveries SET lease_until = now() - interval '1 second'");
      }
      Journal.Started taken = b.claim().orElseThrow();

      assertThat(taken.number()).isEqualTo(2);
      List<Attempt> attempts = b.find(delivery.id()).orElseThrow().attempts();
      assertThat(attempts.getFirst().status()).isEqualTo(Status.FAILED);
      assertThat(attempts.getFirst().error()).contains("interrupted").contains(a.server());
      assertThat(attempts.get(1).trigger()).isEqualTo(Trigger.RECOVERY);
      assertThat(attempts.get(1).server()).isEqualTo(b.server());

      // The first server ends its attempt after all: only its own attempt changes.
      a.finish(delivery.id(), 1, succeeded(), Status.SUCCEEDED);
      DeliveryRecord record = b.find(delivery.id()).orElseThrow();
      assertThat(record.summary().status()).isEqualTo(Status.RUNNING);
      assertThat(record.attempts().getFirst().status()).isEqualTo(Status.SUCCEEDED);
    }
  }

  @Test
  void theHeartBeatRenewsTheLeaseOfWhatTheServerRuns() throws Exception {
    try (PostgresJournal a = PostgresJournal.openForServe(url, Retention.DEFAULT)) {
      a.acceptRunning(arrived("deploy"));
      Instant before = leaseUntil();
      Thread.sleep(20);
      a.leases().beat();

      assertThat(leaseUntil()).isAfter(before);
    }
  }

  private Instant leaseUntil() throws Exception {
    try (Connection c = Postgres.connect(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT lease_until FROM hf_webhooks_deliveries")) {
      rs.next();
      return rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
    }
  }

  @Test
  void aServerThatStopsHandsBackWhatItStillRuns() {
    NewDelivery delivery = arrived("deploy");
    try (PostgresJournal b = PostgresJournal.openForServe(url, Retention.DEFAULT)) {
      PostgresJournal a = PostgresJournal.openForServe(url, Retention.DEFAULT);
      a.acceptRunning(delivery);
      a.close();

      Journal.Started taken = b.claim().orElseThrow();

      assertThat(taken.delivery().id()).isEqualTo(delivery.id());
      assertThat(taken.delivery().attempts().getFirst().error()).contains("interrupted");
    }
  }

  @Test
  void aHeldDeliveryIsRunByWhicheverServerClaimsItOnceDue() throws Exception {
    NewDelivery first = arrived("retrain");
    NewDelivery second = arrived("retrain");
    try (PostgresJournal a = PostgresJournal.openForServe(url, Retention.DEFAULT);
        PostgresJournal b = PostgresJournal.openForServe(url, Retention.DEFAULT)) {
      a.hold(first, "acme/data", Duration.ofHours(1), Duration.ofHours(2));
      Journal.Held held = b.hold(second, "acme/data", Duration.ofHours(1), Duration.ofHours(2));

      assertThat(held.superseded()).isEqualTo(first.id());
      assertThat(a.claim()).as("not due yet").isEmpty();
      // As if the hour had passed (the server that held it may be gone).
      try (Connection c = Postgres.connect(url);
          Statement s = c.createStatement()) {
        s.executeUpdate(
            "UPDATE hf_webhooks_deliveries SET due = now() - interval '1 second'"
                + " WHERE status = 'debounced'");
      }
      Journal.Started ran = a.claim().orElseThrow();

      assertThat(ran.delivery().id()).isEqualTo(second.id());
      assertThat(b.claim()).isEmpty();
      assertThat(b.release(second.id())).as("run already: no longer held").isFalse();
      assertThat(b.find(first.id()).orElseThrow().summary().status()).isEqualTo(Status.SUPERSEDED);
    }
  }

  @Test
  void serversStartingAtOnceOnAnEmptyDatabaseMakeTheTablesOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<PostgresJournal>> opened = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      opened.add(pool.submit(() -> PostgresJournal.openForServe(url, Retention.DEFAULT)));
    }
    for (Future<PostgresJournal> journal : opened) {
      journal.get().close();
    }
    pool.shutdown();
    try (Connection c = Postgres.connect(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM hf_webhooks_schema")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
  }

  @Test
  void aDatabaseANewerVersionWroteIsRefused() throws Exception {
    PostgresJournal.openForServe(url, Retention.DEFAULT).close();
    try (Connection c = Postgres.connect(url);
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE hf_webhooks_schema SET version = 99");
    }

    assertThatThrownBy(() -> PostgresJournal.openForServe(url, Retention.DEFAULT))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining("newer hf-webhooks (format 99; this one reads 1)");
  }

  @Test
  void readingADatabaseWithoutAJournalSaysServeMakesIt() {
    assertThatThrownBy(() -> PostgresJournal.openForReading(url))
        .isInstanceOf(JournalException.class)
        .hasMessageStartingWith("no journal in postgresql://");
  }

  @Test
  void aWrongPasswordNamesTheUserButNotThePassword() {
    PostgresUrl wrong =
        new PostgresUrl(
            url.host(), url.port(), url.database(), url.user(), "wrong-pw-42", url.parameters());

    assertThatThrownBy(() -> PostgresJournal.openForServe(wrong, Retention.DEFAULT))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining("refused user " + url.user())
        .hasMessageContaining("check the user and password in --journal")
        .message()
        .doesNotContain("wrong-pw-42");
  }

  @Test
  void aMissingDatabaseSaysHowToCreateIt() {
    PostgresUrl missing =
        new PostgresUrl(url.host(), url.port(), "no_such_db", url.user(), url.password(), Map.of());

    assertThatThrownBy(() -> PostgresJournal.openForServe(missing, Retention.DEFAULT))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining("there is no database no_such_db")
        .hasMessageContaining("createdb no_such_db");
  }

  @Test
  void aServerNobodyListensOnSaysItCannotBeReached() throws Exception {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    PostgresUrl nowhere =
        new PostgresUrl("127.0.0.1", port, "hooks", "me", "pw-not-shown", Map.of());

    assertThatThrownBy(() -> PostgresJournal.openForServe(nowhere, Retention.DEFAULT))
        .isInstanceOf(JournalException.class)
        .hasMessageStartingWith("cannot reach the journal's database 127.0.0.1:" + port)
        .message()
        .doesNotContain("pw-not-shown");
  }

  @Test
  void aLoginThatMayNotCreateTheTablesIsToldWhatToGrant() throws Exception {
    String role = "hfw_limited_" + Long.toHexString(System.nanoTime());
    try (Connection c = Postgres.connect(url);
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'limited-pw'");
    }
    try {
      PostgresUrl limited =
          new PostgresUrl(url.host(), url.port(), url.database(), role, "limited-pw", Map.of());

      assertThatThrownBy(() -> PostgresJournal.openForServe(limited, Retention.DEFAULT))
          .isInstanceOf(JournalException.class)
          .hasMessageStartingWith("user " + role + " may not use the journal's tables in")
          .hasMessageContaining("grant it CREATE");
    } finally {
      try (Connection c = Postgres.connect(url);
          Statement s = c.createStatement()) {
        s.execute("DROP ROLE " + role);
      }
    }
  }

  @Test
  void retentionKeepsTheNewestAndNeverWhatWaitsOrRuns() throws Exception {
    try (PostgresJournal journal = PostgresJournal.openForServe(url, new Retention(3, null))) {
      NewDelivery waiting = arrived("deploy", Instant.now().minusSeconds(60));
      journal.enqueue(waiting);
      NewDelivery running = arrived("deploy", Instant.now().minusSeconds(59));
      journal.acceptRunning(running);
      List<String> done = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        NewDelivery d = arrived("deploy", Instant.now().minusSeconds(50 - i));
        journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
        done.add(d.id());
      }
      journal.prune();

      assertThat(journal.list(Query.newest(100)))
          .extracting(s -> s.id())
          .as("the newest 3 by arrival are kept, and whatever waits or runs")
          .containsExactlyInAnyOrder(
              waiting.id(), running.id(), done.get(3), done.get(4), done.get(5));
    }
  }

  @Test
  void theLocationNeverShowsThePassword() {
    try (PostgresJournal journal = PostgresJournal.openForServe(url, Retention.DEFAULT)) {
      assertThat(journal.location()).contains("***").doesNotContain(url.password());
    }
  }

  @Test
  void aStartedReplayOfAnyDeliveryIsNumberedAfterTheLast() throws Exception {
    NewDelivery delivery = arrived("deploy");
    try (PostgresJournal a = PostgresJournal.openForServe(url, Retention.DEFAULT);
        PostgresJournal replay = PostgresJournal.open(url)) {
      a.finish(delivery.id(), a.acceptRunning(delivery), succeeded(), Status.SUCCEEDED);
      int number = replay.start(delivery.id(), Trigger.REPLAY);
      replay.finish(delivery.id(), number, failed(2), Status.FAILED);

      DeliveryRecord record = a.find(delivery.id()).orElseThrow();
      assertThat(number).isEqualTo(2);
      assertThat(record.summary().status()).isEqualTo(Status.FAILED);
      assertThat(record.attempts()).hasSize(2);
      try (Connection c = Postgres.connect(url);
          PreparedStatement p =
              c.prepareStatement("SELECT owner FROM hf_webhooks_deliveries WHERE id = ?")) {
        p.setString(1, delivery.id());
        try (ResultSet rs = p.executeQuery()) {
          rs.next();
          assertThat(rs.getString(1)).as("a finished delivery is held by nobody").isNull();
        }
      }
    }
  }
}
