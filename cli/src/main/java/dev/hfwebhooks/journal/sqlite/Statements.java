package dev.hfwebhooks.journal.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A connection and its prepared statements, made once and reused (one thread at a time). */
final class Statements {

  /** SQL run with one connection's statements, inside the transaction of a write or a read. */
  @FunctionalInterface
  interface Work<T> {
    T run(Statements sql) throws SQLException;
  }

  /** SQL run for its effect only, as {@link Work} that has nothing to return. */
  @FunctionalInterface
  interface Step {
    void run(Statements sql) throws SQLException;

    /** As {@link Work}: its result (true) says only that it ran. */
    default Work<Boolean> work() {
      return sql -> {
        run(sql);
        return true;
      };
    }
  }

  final Connection connection;
  private final Map<String, PreparedStatement> prepared = new HashMap<>();

  Statements(Connection connection) {
    this.connection = connection;
  }

  PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement p = prepared.get(sql);
    if (p == null) {
      p = connection.prepareStatement(sql);
      prepared.put(sql, p);
    }
    return p;
  }

  /**
   * Closes the prepared statements, to be made again when next used: after a statement fails
   * (SQLITE_FULL, say), the driver has let go of its native statement, and every later use of the
   * same object fails with "statement is not executing", long after the disk has room again.
   */
  void forget() {
    prepared
        .values()
        .forEach(
            p -> {
              try {
                p.close();
              } catch (SQLException e) {
                // Made again anyway.
              }
            });
    prepared.clear();
  }

  void close() {
    forget();
    closeQuietly(connection);
  }

  /**
   * Runs one statement in auto-commit mode. Transactions are begun by hand, with BEGIN IMMEDIATE:
   * the driver's own (auto-commit off) would hold a transaction open between batches, and one that
   * takes the write lock only at its first write fails at once with SQLITE_BUSY when another writer
   * got there first, instead of waiting for it.
   */
  static void execute(Connection connection, String sql) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(sql);
    }
  }

  static void closeQuietly(@Nullable Connection connection) {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // Already failing: the first error is the one reported.
      }
    }
  }
}
