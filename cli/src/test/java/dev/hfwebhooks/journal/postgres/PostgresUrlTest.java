package dev.hfwebhooks.journal.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PostgresUrlTest {
  @Test
  void aUrlAsLibpqWritesItGivesTheDriverItsPartsAndNeverShowsThePassword() {
    PostgresUrl url =
        PostgresUrl.parse(
            "postgresql://hooks:p%40ss%3Aw0rd@db.internal:6543/hooks?sslmode=require&connect_timeout=5");

    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/hooks");
    assertThat(url.properties())
        .containsEntry("user", "hooks")
        .containsEntry("password", "p@ss:w0rd")
        .containsEntry("sslmode", "require")
        .containsEntry("connectTimeout", "5");
    assertThat(url.toString())
        .isEqualTo("postgresql://hooks:***@db.internal:6543/hooks?sslmode=require&connectTimeout=5")
        .doesNotContain("w0rd");
  }

  @Test
  void thePortDefaultsTo5432AndUserAndPasswordMayComeAsParameters() {
    PostgresUrl url = PostgresUrl.parse("postgres://db/hooks?user=me&password=secret");

    assertThat(url.port()).isEqualTo(5432);
    assertThat(url.user()).isEqualTo("me");
    assertThat(url.password()).isEqualTo("secret");
    assertThat(url.toString()).isEqualTo("postgresql://me:***@db:5432/hooks");
  }

  @Test
  void anIpv6HostKeepsItsBrackets() {
    PostgresUrl url = PostgresUrl.parse("postgresql://[::1]:5433/hooks");

    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5433/hooks");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "postgresql://user:secret@/hooks",
        "postgresql://user:secret@db",
        "postgresql://user:secret@db/",
        "mysql://user:secret@db/hooks",
        "postgresql://user:sec ret@db/hooks"
      })
  void anUnusableUrlSaysWhyWithoutItsPassword(String text) {
    assertThatThrownBy(() -> PostgresUrl.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .message()
        .doesNotContain("secret")
        .doesNotContain("sec ret")
        .containsAnyOf("no host", "no database", "not a PostgreSQL URL", "not a valid URL");
  }

  @Test
  void onlyPostgresSchemesAreTakenForUrls() {
    assertThat(PostgresUrl.isOne("postgresql://db/x")).isTrue();
    assertThat(PostgresUrl.isOne("POSTGRES://db/x")).isTrue();
    assertThat(PostgresUrl.isOne("/var/lib/journal.db")).isFalse();
  }
}
