package dev.hfwebhooks.testing;

import dev.hfwebhooks.journal.postgres.PostgresUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The real PostgreSQL the journal's tests use: the server {@code .ci/postgres} starts, or the one
 * {@code HF_WEBHOOKS_TEST_POSTGRES} names (a URL whose user may create databases). Each test class
 * gets a database of its own, and each test a schema of its own in it, so that tests see only their
 * own tables.
 */
public final class Postgres implements AutoCloseable {
  private static final String DEFAULT =
      "postgresql://hfwebhooks:tests-only-pw@127.0.0.1:5432/postgres";

  private final PostgresUrl admin;
  private final PostgresUrl database;
  private int schemas;

  private Postgres(PostgresUrl admin, PostgresUrl database) {
    this.admin = admin;
    this.database = database;
  }

  /** A new, empty database named after {@code owner} (the test class). */
  public static Postgres database(Class<?> owner) {
    String configured = System.getenv("HF_WEBHOOKS_TEST_POSTGRES");
    PostgresUrl admin =
        PostgresUrl.parse(configured == null || configured.isBlank() ? DEFAULT : configured);
    String name =
        ("hfw_" + owner.getSimpleName() + "_" + UUID.randomUUID().toString().substring(0, 8))
            .toLowerCase(Locale.ROOT);
    try (Connection c = connect(admin);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL tests need a server at %s (%s): run .ci/postgres as root, or set"
                  .formatted(admin, e.getMessage())
              + " HF_WEBHOOKS_TEST_POSTGRES to a URL whose user may create databases",
          e);
    }
    return new Postgres(admin, with(admin, name, Map.of()));
  }

  /** The database's URL, its tables in the default schema. */
  public PostgresUrl url() {
    return database;
  }

  /** {@code url} as a user writes it, password and all, for {@code --journal}. */
  public static String typed(PostgresUrl url) {
    String text =
        "postgresql://%s:%s@%s:%d/%s"
            .formatted(url.user(), url.password(), url.host(), url.port(), url.database());
    String query =
        String.join(
            "&",
            url.parameters().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .toList());
    return query.isEmpty() ? text : text + "?" + query;
  }

  /** The URL of a new schema in the database: an empty journal for one test. */
  public PostgresUrl freshSchema() {
    schemas++;
    String schema = "t" + schemas;
    try (Connection c = connect(database);
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return with(database, database.database(), Map.of("currentSchema", schema));
  }

  /** A plain connection, to look at or change what the journal wrote. */
  public static Connection connect(PostgresUrl url) throws SQLException {
    return DriverManager.getConnection(url.jdbcUrl(), url.properties());
  }

  private static PostgresUrl with(PostgresUrl url, String database, Map<String, String> more) {
    Map<String, String> parameters = new LinkedHashMap<>(url.parameters());
    parameters.putAll(more);
    return new PostgresUrl(
        url.host(), url.port(), database, url.user(), url.password(), parameters);
  }

  /** Drops the database, closing whatever connections a test left open. */
  @Override
  public void close() {
    try (Connection c = connect(admin);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + database.database() + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
