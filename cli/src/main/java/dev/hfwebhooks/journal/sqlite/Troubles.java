package dev.hfwebhooks.journal.sqlite;

import dev.hfwebhooks.journal.DataDir;
import dev.hfwebhooks.journal.JournalException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * What goes wrong with the journal's disk while serving, each said once to the server's log: a full
 * disk refuses every retry alike, and a line each second would only fill it further.
 *
 * <p>A journal whose file was removed while serving (its data dir deleted) is gone for good: the
 * open files would go on taking deliveries, and lose them all at the stop, so from then on
 * deliveries are refused (503) until serve starts again, with a new journal. So is one whose disk
 * takes no writes at all any more (turned read-only, failing): the log's pages would stay in memory
 * only. A full disk is not that: the log's files have their room already, and keep deliveries.
 */
final class Troubles {
  /** How often the writer looks when idle; it also looks before each commit. */
  static final Duration PERIOD = Duration.ofMillis(500);

  private final Path file;
  private final Consumer<String> warnings;
  private volatile boolean gone;

  /** Why the data dir takes no writes any more, once the database's refusal made us look. */
  private volatile @Nullable String unwritable;

  private volatile @Nullable IOException unwritableCause;

  /** Why the database last refused a write (writer thread). */
  private @Nullable String refusal;

  /** Whether the stall was said (writer thread). */
  private boolean saidStalled;

  Troubles(Path file, Consumer<String> warnings) {
    this.file = file;
    this.warnings = warnings;
  }

  /** Looks for the file (writer thread); says once that it is gone. */
  void check() {
    if (!gone && !Files.exists(file)) {
      gone = true;
      warnings.accept(
          ("warning: the journal %s was removed while serving (with its data dir?): deliveries are"
                  + " answered 503 until serve is started again, which makes a new one")
              .formatted(file));
    }
  }

  /** Whether writes are refused from now on: the journal is gone, or its disk takes none. */
  boolean gone() {
    return gone || unwritable != null;
  }

  /** What a write gets once the file is gone or its disk takes no writes. */
  JournalException refusal() {
    if (!gone) {
      return new JournalException(
          "the data dir %s takes no writes any more (%s): start serve again on a writable disk"
              .formatted(file.getParent(), unwritable),
          unwritableCause);
    }
    return new JournalException(
        "the journal %s was removed while serving: start serve again to make a new one"
            .formatted(file),
        new NoSuchFileException(file.toString(), null, "the journal's data dir was removed"));
  }

  /**
   * The database refused a write, for {@code why} (writer thread). Whether the log can keep the
   * deliveries meanwhile depends on why: a full disk still takes the log's pages, a read-only or
   * failing one does not, which a file made in the folder tells apart at once.
   */
  void refused(String why) {
    refusal = why;
    if (gone()) {
      return;
    }
    IOException probe = DataDir.cannotWrite(LogApplier.folder(file));
    if (probe == null
        || probe instanceof NoSuchFileException // removed: check() says so
        || DataDir.reason(probe).contains("No space left")) {
      return;
    }
    unwritableCause = probe;
    unwritable = DataDir.reason(probe);
    warnings.accept(
        ("warning: the data dir %s takes no writes any more (%s): the journal's log cannot keep"
                + " deliveries there either, so they are answered 503 until serve is started again"
                + " on a writable disk")
            .formatted(file.getParent(), unwritable));
  }

  /**
   * Says once that the database refuses the log's writes ({@code stalled}), and once that it took
   * them again.
   */
  void stalled(boolean stalled) {
    if (gone()) {
      return; // said already, and the log went with the journal
    }
    if (stalled && !saidStalled) {
      saidStalled = true;
      warnings.accept(
          ("warning: %s; meanwhile deliveries are kept in its log beside it, and moved in once it"
                  + " takes them (tried every second)")
              .formatted(refusal));
    } else if (!stalled && saidStalled) {
      saidStalled = false;
      warnings.accept(
          "the journal %s takes writes again: it has every delivery its log kept".formatted(file));
    }
  }

  /** Says that the stop leaves {@code writes} in the log, for the next start or deliveries. */
  void stoppedWithLog(long writes) {
    if (gone) {
      return;
    }
    if (unwritable != null) {
      warnings.accept(
          ("warning: at stop, %d writes of the journal's log could not reach the disk of %s (%s):"
                  + " the deliveries answered just before it stopped taking writes are not"
                  + " recorded")
              .formatted(writes, file.getParent(), unwritable));
      return;
    }
    warnings.accept(
        ("warning: at stop, %d writes stay in the journal's log, not in %s yet: `deliveries` or"
                + " the next serve moves them in once it can. Why: %s")
            .formatted(writes, file, refusal == null ? "its last checkpoint failed" : refusal));
  }
}
