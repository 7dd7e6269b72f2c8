package dev.hfwebhooks.journal.sqlite;

import static dev.hfwebhooks.journal.Records.arrived;
import static dev.hfwebhooks.journal.Records.failed;
import static dev.hfwebhooks.journal.Records.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hfwebhooks.journal.JournalContract;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite journal on a real file: the {@link JournalContract}, with serve's writes each
 * committed before they return (as {@code replay} has them: no log), and what only a file has.
 * {@link LoggedSqliteJournalTest} runs the same tests as serve opens it, with its log.
 */
class SqliteJournalTest extends JournalContract {
  @TempDir Path dir;

  Path file() {
    return dir.resolve(SqliteJournal.FILE_NAME);
  }

  @Override
  protected SqliteJournal openForServe(Retention retention) {
    return SqliteJournal.openForServe(file(), retention, 0, line -> {});
  }

  @Override
  protected SqliteJournal openAgain(Retention retention) {
    return SqliteJournal.open(file(), retention);
  }

  @Override
  protected SqliteJournal openForReading() {
    return SqliteJournal.openForReading(file());
  }

  private SqliteJournal open() {
    return openForServe(Retention.DEFAULT);
  }

  @Test
  void retentionRemovesTheAttemptsOfTheDeliveriesItRemoves() throws Exception {
    try (SqliteJournal journal = openForServe(new Retention(1, null))) {
      for (int i = 0; i < 3; i++) {
        NewDelivery d = arrived("deploy");
        journal.finish(d.id(), journal.acceptRunning(d), failed(1), Status.QUEUED);
        int retry = journal.start(d.id(), Trigger.RETRY);
        journal.finish(d.id(), retry, succeeded(), Status.SUCCEEDED);
      }
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM attempts")) {
      assertThat(rs.getInt(1)).as("only the kept delivery's first attempt").isEqualTo(1);
    }
  }

  @Test
  void aNewJournalHasLargerPagesThanSqlitesDefault() throws Exception {
    open().close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = c.createStatement();
        var rs = s.executeQuery("PRAGMA page_size")) {
      assertThat(rs.getInt(1)).isEqualTo(Schema.PAGE_SIZE);
    }
  }

  @Test
  void aFileThatIsNotADatabaseIsOneClearError() throws Exception {
    Files.writeString(file(), "these are my notes, not a database\n".repeat(100));

    assertThatThrownBy(this::open)
        .isInstanceOf(JournalException.class)
        .hasMessage(
            file()
                + " is not an hf-webhooks journal (not an SQLite database): move it away, or pass"
                + " another --data-dir");
    assertThatThrownBy(() -> SqliteJournal.openForReading(file()))
        .hasMessageContaining("is not an hf-webhooks journal");
  }

  @Test
  void aDamagedJournalIsOneClearError() throws Exception {
    try (SqliteJournal journal = open()) {
      for (int i = 0; i < 20; i++) {
        journal.enqueue(arrived("deploy"));
      }
    }
    // Every page but the first, which holds the header and the table of tables: closed, the
    // journal is all in this file (the last connection copied the WAL back and removed it).
    try (FileChannel channel = FileChannel.open(file(), StandardOpenOption.WRITE)) {
      byte[] junk = new byte[(int) channel.size() - Schema.PAGE_SIZE];
      Arrays.fill(junk, (byte) 0x5a);
      channel.write(ByteBuffer.wrap(junk), Schema.PAGE_SIZE);
    }

    assertThatThrownBy(this::open)
        .isInstanceOf(JournalException.class)
        .hasMessageStartingWith("the journal " + file() + " is damaged")
        .hasMessageEndingWith(": move it away (a new one is made), or pass another --data-dir")
        .hasMessageNotContaining("\n");
  }

  @Test
  void anotherProgramsDatabaseIsNotTakenForAJournal() throws Exception {
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = other.createStatement()) {
      s.execute("CREATE TABLE recipes (name TEXT)");
    }

    assertThatThrownBy(this::open)
        .hasMessage(
            file()
                + " is not an hf-webhooks journal (it holds other tables): move it away, or pass"
                + " another --data-dir");
  }

  @Test
  void aJournalFromANewerVersionIsRefused() throws Exception {
    open().close();
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = other.createStatement()) {
      s.execute("PRAGMA user_version = 99");
    }

    assertThatThrownBy(this::open)
        .hasMessage(
            "the journal "
                + file()
                + " was written by a newer hf-webhooks (format 99; this one reads 1): upgrade, or"
                + " pass another --data-dir");
    assertThatThrownBy(() -> SqliteJournal.openForReading(file()))
        .hasMessageStartingWith("the journal " + file() + " was written by a newer hf-webhooks");
  }

  @Test
  void aDatabaseOfAnUnknownFormatIsNotTakenForAJournal() throws Exception {
    open().close();
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = other.createStatement()) {
      s.execute("PRAGMA user_version = -3");
    }

    assertThatThrownBy(this::open)
        .hasMessage(
            file()
                + " is not an hf-webhooks journal (its format, -3, is unknown): move it away, or"
                + " pass another --data-dir");
    assertThatThrownBy(() -> SqliteJournal.openForReading(file()))
        .hasMessageContaining("is not an hf-webhooks journal (its format, -3, is unknown)");
  }

  @Test
  void aJournalLockedByAnotherWriterSaysSoAfterWaiting() throws Exception {
    open().close();
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = other.createStatement()) {
      s.execute("BEGIN EXCLUSIVE");

      assertThatThrownBy(this::open)
          .isInstanceOf(JournalException.class)
          .hasMessage(
              "the journal "
                  + file()
                  + " is locked by another program (still busy after 5 s): wait for it, or stop"
                  + " it");
      s.execute("ROLLBACK");
    }
  }

  @Test
  void readingAJournalThatIsNotThereSaysWhere() {
    assertThatThrownBy(() -> SqliteJournal.openForReading(file()))
        .hasMessageStartingWith("no journal at " + file());
  }
}
