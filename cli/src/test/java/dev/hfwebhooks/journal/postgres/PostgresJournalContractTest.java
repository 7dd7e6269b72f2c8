package dev.hfwebhooks.journal.postgres;

import dev.hfwebhooks.journal.Journal;
import dev.hfwebhooks.journal.JournalContract;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.testing.Postgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** The journal's contract on a real PostgreSQL: each test in a schema of its own. */
class PostgresJournalContractTest extends JournalContract {
  static Postgres postgres;
  PostgresUrl url;

  @BeforeAll
  static void database() {
    postgres = Postgres.database(PostgresJournalContractTest.class);
  }

  @AfterAll
  static void drop() {
    postgres.close();
  }

  @BeforeEach
  void schema() {
    url = postgres.freshSchema();
  }

  @Override
  protected Journal openForServe(Retention retention) {
    return PostgresJournal.openForServe(url, retention);
  }

  @Override
  protected Journal openAgain(Retention retention) {
    return retention == null
        ? PostgresJournal.open(url)
        : PostgresJournal.openForServe(url, retention);
  }

  @Override
  protected Journal openForReading() {
    return PostgresJournal.openForReading(url);
  }
}
