package dev.hfwebhooks.journal.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.hfwebhooks.journal.JournalException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** The journal's database: a pool of connections, and transactions on them. */
final class Database implements AutoCloseable {
  /**
   * How long a request waits for the database before it fails (serve then answers 503): the Hub
   * waits for an answer, and a down database should not hold its requests for long.
   */
  static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(3);

  /** SQL run on a connection inside a transaction. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  /** SQL run for its effect only, as {@link Work} that has nothing to return. */
  @FunctionalInterface
  interface Step {
    void run(Connection connection) throws SQLException;
  }

  final PostgresUrl url;

  /** Connections whose commits wait for the database's disk, as PostgreSQL's do by default. */
  private final HikariDataSource durable;

  /**
   * Connections whose commits do not ({@code synchronous_commit = off}), set once per connection
   * rather than per transaction: a {@code SET LOCAL} would cost a round trip each time.
   */
  private final HikariDataSource lazy;

  private Database(PostgresUrl url, HikariDataSource durable, HikariDataSource lazy) {
    this.url = url;
    this.durable = durable;
    this.lazy = lazy;
  }

  /**
   * Connects with at most {@code connections} at once for each kind of commit; fails at once, in
   * one line, when the database cannot be reached or refuses the login.
   */
  static Database connect(PostgresUrl url, int connections) {
    HikariDataSource durable = pool(url, connections, null);
    try {
      return new Database(url, durable, pool(url, connections, "SET synchronous_commit TO off"));
    } catch (RuntimeException e) {
      durable.close();
      throw e;
    }
  }

  private static HikariDataSource pool(PostgresUrl url, int connections, @Nullable String init) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(init == null ? "hf-webhooks-journal" : "hf-webhooks-journal-lazy");
    config.setJdbcUrl(url.jdbcUrl());
    config.setDataSourceProperties(url.properties());
    config.setMaximumPoolSize(connections);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
    config.setValidationTimeout(1000);
    config.setConnectionInitSql(init);
    // Tried once at start, so that a wrong URL, password or network says so before serving.
    config.setInitializationFailTimeout(1);
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw PostgresErrors.translate(url, e);
    }
  }

  /**
   * Runs {@code work} in one transaction on a pooled connection; a failure rolls it back and is one
   * {@link JournalException} line. A connection the database dropped is replaced by the pool, so
   * that the journal comes back by itself with the database.
   */
  <T> T transaction(Work<T> work) {
    return transaction(true, work);
  }

  /** As {@link #transaction(Work)}, for work that returns nothing. */
  void execute(Step step) {
    transaction(
        true,
        c -> {
          step.run(c);
          return true;
        });
  }

  /**
   * As {@link #transaction(Work)}; unless {@code durable}, the commit does not wait for the
   * database's disk: a crash of the database may lose the last such commits, never break one, which
   * at worst runs a delivery once more (at least once). What an acknowledgement promises must be
   * durable.
   */
  <T> T transaction(boolean durable, Work<T> work) {
    return run(durable, false, work);
  }

  /**
   * Runs {@code work}, which must be one SQL statement, as a transaction of its own (autocommit):
   * one round trip, where a transaction takes another for its commit.
   */
  <T> T statement(boolean durable, Work<T> work) {
    return run(durable, true, work);
  }

  private <T> T run(boolean durable, boolean autoCommit, Work<T> work) {
    HikariDataSource pool = durable ? this.durable : lazy;
    if (pool.isClosed()) {
      throw new JournalException("the journal " + url + " is closed");
    }
    try (Connection c = pool.getConnection()) {
      if (autoCommit) {
        return work.run(c); // the pool hands connections out in autocommit
      }
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // The connection broke: the pool replaces it.
        }
        throw e;
      }
    } catch (SQLException e) {
      throw PostgresErrors.translate(url, e);
    }
  }

  boolean isClosed() {
    return durable.isClosed();
  }

  @Override
  public void close() {
    lazy.close();
    durable.close();
  }
}
