package dev.hfwebhooks.journal.postgres;

import dev.hfwebhooks.journal.JournalException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The journal's tables in a PostgreSQL database, made or checked when a server or command opens it.
 * Several servers may start at once on an empty database: an advisory lock held for the transaction
 * makes one of them create the tables and the others find them.
 */
final class PostgresSchema {
  /** Nothing has been released before this one. */
  static final int VERSION = 1;

  /** Any number, the same in every hf-webhooks: the advisory lock that orders schema changes. */
  private static final long SCHEMA_LOCK = 0x6866_7768_0001L;

  // Table names carry the tool's name: the database may be one a team shares with other programs.
  private static final String TABLES =
      """
      CREATE TABLE hf_webhooks_deliveries (
        seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- arrival order
        id            text NOT NULL UNIQUE,
        received      timestamptz NOT NULL,
        handler       text NOT NULL,
        body          bytea NOT NULL,        -- exactly as received
        headers       text NOT NULL,         -- JSON object, lower-case names, secret removed
        status        text NOT NULL,         -- queued, running, succeeded, failed, ...
        attempts      integer NOT NULL,
        exit_status   integer,               -- of the latest attempt, as are the two below
        duration_ms   bigint,
        error         text,
        output        text,                  -- of the latest attempt that ended, as is stderr
        stderr        text,
        not_before    timestamptz,           -- queued: a retry waits until then
        owner         text,                  -- running: the server running the latest attempt
        lease_until   timestamptz,           -- running: until when that server holds it
        debounce_key  text,                  -- @debounce: the key value of a held delivery
        burst_started timestamptz,           -- when the first delivery of its burst arrived
        due           timestamptz,           -- when it runs, unless a later one replaces it
        superseded_by text                   -- the delivery that ran instead of this one
      );
      -- What servers look for when they take work: small, as finished deliveries leave it.
      CREATE INDEX hf_webhooks_waiting ON hf_webhooks_deliveries (seq)
        WHERE status IN ('queued', 'running', 'debounced');
      CREATE INDEX hf_webhooks_by_handler ON hf_webhooks_deliveries (handler, seq);
      CREATE TABLE hf_webhooks_attempts (
        delivery    text NOT NULL REFERENCES hf_webhooks_deliveries (id) ON DELETE CASCADE,
        number      integer NOT NULL,
        trigger     text NOT NULL,           -- received, retry, recovery, replay
        started     timestamptz NOT NULL,
        status      text NOT NULL,
        exit_status integer,
        duration_ms bigint,
        error       text,
        server      text NOT NULL,           -- host/pid of the server that ran it
        PRIMARY KEY (delivery, number)
      );
      """;

  private PostgresSchema() {}

  /**
   * Creates the tables when the database has none, and refuses a database that a newer hf-webhooks
   * wrote; inside the caller's transaction. Safe when several servers start at once.
   */
  static void ensure(Connection connection, PostgresUrl url) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
      s.execute("CREATE TABLE IF NOT EXISTS hf_webhooks_schema (version integer NOT NULL)");
      int version = version(connection);
      if (version == 0) {
        for (String statement : TABLES.split(";\n", -1)) {
          if (!statement.isBlank()) {
            s.execute(statement);
          }
        }
        s.execute("INSERT INTO hf_webhooks_schema VALUES (" + VERSION + ")");
      } else if (version > VERSION) {
        throw new JournalException(
            "the journal %s was written by a newer hf-webhooks (format %d; this one reads %d):"
                    .formatted(url, version, VERSION)
                + " upgrade this one, or pass another --journal");
      }
    }
  }

  /** Whether the tables exist, for a command that only reads. */
  static boolean exists(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT to_regclass('hf_webhooks_schema') IS NOT NULL")) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  /** The version of the tables a reading command finds; 0 when they are incomplete. */
  static int version(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT coalesce(max(version), 0) FROM hf_webhooks_schema")) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }
}
