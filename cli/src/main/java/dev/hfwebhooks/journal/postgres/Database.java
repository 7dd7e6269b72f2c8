package dev.hfwebhooks.journal.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.hfwebhooks.journal.JournalException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

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

  final PostgresUrl url;
  private final HikariDataSource pool;

  private Database(PostgresUrl url, HikariDataSource pool) {
    this.url = url;
    this.pool = pool;
  }

  /**
   * Connects with at most {@code connections} at once; fails at once, in one line, when the
   * database cannot be reached or refuses the login.
   */
  static Database connect(PostgresUrl url, int connections) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("hf-webhooks-journal");
    config.setJdbcUrl(url.jdbcUrl());
    config.setDataSourceProperties(url.properties());
    config.setMaximumPoolSize(connections);
    config.setMinimumIdle(1);
    config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
    config.setValidationTimeout(1000);
    // Tried once at start, so that a wrong URL, password or network says so before serving.
    config.setInitializationFailTimeout(1);
    try {
      return new Database(url, new HikariDataSource(config));
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

  /**
   * As {@link #transaction(Work)}; unless {@code durable}, the commit does not wait for the
   * database's disk ({@code synchronous_commit = off}): a crash of the database may lose the last
   * such commits, never break one, which at worst runs a delivery once more (at least once). What
   * an acknowledgement promises must be durable.
   */
  <T> T transaction(boolean durable, Work<T> work) {
    if (pool.isClosed()) {
      throw new JournalException("the journal " + url + " is closed");
    }
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (!durable) {
          try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL synchronous_commit TO OFF");
          }
        }
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
    return pool.isClosed();
  }

  @Override
  public void close() {
    pool.close();
  }
}
