package dev.hfwebhooks.journal.sqlite;

import static dev.hfwebhooks.journal.Records.arrived;
import static dev.hfwebhooks.journal.Records.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Retention;
import dev.hfwebhooks.journal.Status;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link JournalDamagePropertiesTest}'s generated damage found, each as a plain case: the log
 * read on past a gap, a record read back loosely, and damage to the database found late or told
 * without what to do.
 */
class DamagedJournalTest {
  private static final String PREFIX = SqliteJournal.LOG_PREFIX;

  @TempDir Path dir;

  private Path file() {
    return dir.resolve(SqliteJournal.FILE_NAME);
  }

  private SqliteJournal open() {
    return SqliteJournal.openForServe(file(), Retention.DEFAULT);
  }

  /**
   * Deliveries received into a dead server's log of files of {@code fileSize}, from file 1 on (what
   * a journal that started one log and stopped expects next); returns where each ends.
   */
  private List<JournalLog.Position> deadServersLog(List<NewDelivery> deliveries, int fileSize)
      throws Exception {
    open().close();
    List<JournalLog.Position> ends = new ArrayList<>();
    try (JournalLog log = JournalLog.start(dir, PREFIX, 1, fileSize)) {
      for (NewDelivery d : deliveries) {
        log.append(new LogRecord.Received(d, false).encode(JournalLog.HEADER), ends::add);
      }
    }
    return ends;
  }

  @Test
  void aLogFileCutShortEndsTheLogAndTheFilesAfterItAreNotApplied() throws Exception {
    List<NewDelivery> deliveries = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      deliveries.add(arrived("deploy")); // ~1.3 KB each: three to a file
    }
    List<JournalLog.Position> ends = deadServersLog(deliveries, 4096);
    assertThat(ends.getLast().generation()).as("several files").isGreaterThan(2);
    assertThat(ends.get(1).generation()).as("two records in the first file").isEqualTo(1);
    // Cut file 1 after its first record: those after it are gone, and the next files would
    // apply without them.
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(PREFIX + 1).toFile(), "rw")) {
      f.setLength(ends.getFirst().offset());
    }

    try (SqliteJournal journal = open()) {
      assertThat(journal.find(deliveries.getFirst().id())).isPresent();
      for (NewDelivery d : deliveries.subList(1, deliveries.size())) {
        assertThat(journal.find(d.id())).as("after the cut").isEmpty();
      }
    }
  }

  @Test
  void aLogFileGrownPastTwoGibibytesIsReadWithoutFillingTheHeap() throws Exception {
    List<NewDelivery> deliveries = List.of(arrived("deploy"), arrived("deploy"));
    deadServersLog(deliveries, 1 << 16);
    // Sparse: 3 GiB on no disk. Read into one array it would be an OutOfMemoryError.
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(PREFIX + 1).toFile(), "rw")) {
      f.setLength(3L << 30);
    }

    try (SqliteJournal journal = open()) {
      for (NewDelivery d : deliveries) {
        assertThat(journal.find(d.id())).isPresent();
      }
    }
  }

  @Test
  void aMissingLogFileEndsTheLogThere() throws Exception {
    List<NewDelivery> deliveries = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      deliveries.add(arrived("deploy"));
    }
    List<JournalLog.Position> ends = deadServersLog(deliveries, 4096);
    Files.delete(dir.resolve(PREFIX + 2));

    try (SqliteJournal journal = open()) {
      for (int i = 0; i < deliveries.size(); i++) {
        assertThat(journal.find(deliveries.get(i).id()).isPresent())
            .as("delivery %d, in file %d", i, ends.get(i).generation())
            .isEqualTo(ends.get(i).generation() == 1);
      }
    }
  }

  @Test
  void aRecordWhoseChecksumHoldsButThatDoesNotReadBackEndsTheLog() throws Exception {
    NewDelivery before = arrived("deploy");
    NewDelivery forged = arrived("deploy");
    NewDelivery after = arrived("deploy");
    List<JournalLog.Position> ends = deadServersLog(List.of(before, forged, after), 1 << 16);
    // The body's length made larger than the record: read loosely, the body came back cut short.
    Path log = dir.resolve(PREFIX + 1);
    byte[] bytes = Files.readAllBytes(log);
    int start = (int) ends.get(0).offset();
    int length = (int) (ends.get(1).offset() - start) - JournalLog.HEADER;
    int bodyLength = start + JournalLog.HEADER + length - forged.body().length - 4;
    ByteBuffer.wrap(bytes).putInt(bodyLength, forged.body().length + 1);
    CRC32C crc = new CRC32C();
    crc.update(bytes, start + JournalLog.HEADER, length);
    ByteBuffer.wrap(bytes).putInt(start + 8, (int) crc.getValue());
    Files.write(log, bytes);
    byte[] record = new byte[length];
    System.arraycopy(bytes, start + JournalLog.HEADER, record, 0, length);
    assertThat(LogRecord.decodeOrNull(record)).isNull();

    try (SqliteJournal journal = open()) {
      assertThat(journal.find(before.id())).isPresent();
      assertThat(journal.find(forged.id())).isEmpty();
      assertThat(journal.find(after.id())).isEmpty();
    }
  }

  @Test
  void aRecordWithBytesAfterItOrCutShortDoesNotReadBack() {
    byte[] whole = new LogRecord.Received(arrived("deploy"), true).encode(0);
    assertThat(LogRecord.decodeOrNull(whole)).isNotNull();
    byte[] longer = Arrays.copyOf(whole, whole.length + 1);
    assertThat(LogRecord.decodeOrNull(longer)).isNull();
    for (int cut = 0; cut < whole.length; cut++) {
      assertThat(LogRecord.decodeOrNull(Arrays.copyOf(whole, cut))).isNull();
    }
  }

  @Test
  void aValueNoVersionWritesIsOneLineSayingTheJournalIsDamaged() throws Exception {
    NewDelivery d = arrived("deploy");
    try (SqliteJournal journal = open()) {
      journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
    }
    sql("UPDATE deliveries SET status = 'bailed'"); // "failed" with one bit flipped

    try (SqliteJournal journal = open()) {
      assertThatThrownBy(() -> journal.find(d.id()))
          .isInstanceOf(JournalException.class)
          .hasMessage(
              "the journal %s is damaged (a delivery holds a value no hf-webhooks writes): move it"
                      .formatted(file())
                  + " away (a new one is made), or pass another --data-dir");
    }
  }

  @Test
  void aJournalCutShortStopsServeAtStartNotAtItsFirstDelivery() throws Exception {
    try (SqliteJournal journal = open()) {
      for (int i = 0; i < 200; i++) {
        NewDelivery d = arrived("deploy");
        journal.finish(d.id(), journal.acceptRunning(d), succeeded(), Status.SUCCEEDED);
      }
    }
    try (RandomAccessFile f = new RandomAccessFile(file().toFile(), "rw")) {
      // Found before at the first write or read that reached a lost page, in the generated
      // damage as "UNIQUE constraint failed", which says nothing of what to do.
      f.setLength(f.length() / 2);
    }

    assertThatThrownBy(this::open)
        .isInstanceOf(JournalException.class)
        .hasMessageStartingWith("the journal " + file() + " is damaged")
        .hasMessageEndingWith(": move it away (a new one is made), or pass another --data-dir")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void aDamagedTableDefinitionStopsServeAtStart() throws Exception {
    open().close();
    // Found before: "table deliveries has no column named exit_status" at the first delivery.
    sql(
        "PRAGMA writable_schema = ON",
        "UPDATE sqlite_schema SET sql = replace(sql, 'exit_status', 'exit_statuz')"
            + " WHERE name = 'deliveries'");

    assertThatThrownBy(this::open)
        .isInstanceOf(JournalException.class)
        .hasMessage(
            "the journal %s is damaged (its tables are not as hf-webhooks made them): move it"
                    .formatted(file())
                + " away (a new one is made), or pass another --data-dir");
  }

  private void sql(String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }
}
