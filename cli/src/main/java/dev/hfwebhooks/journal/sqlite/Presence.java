package dev.hfwebhooks.journal.sqlite;

import dev.hfwebhooks.journal.JournalException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Notices that the journal's file was removed while serving (its data dir deleted). The open files
 * would go on taking deliveries, and lose them all at the stop; the user removed the journal, so
 * from then on deliveries are refused (503) until serve starts again, with a new journal.
 */
final class Presence {
  /** How often the writer looks when idle; it also looks before each commit. */
  static final Duration PERIOD = Duration.ofMillis(500);

  private final Path file;
  private final Consumer<String> warnings;
  private volatile boolean gone;

  Presence(Path file, Consumer<String> warnings) {
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

  boolean gone() {
    return gone;
  }

  /** What a write gets once the file is gone. */
  JournalException refusal() {
    return new JournalException(
        "the journal %s was removed while serving: start serve again to make a new one"
            .formatted(file),
        new NoSuchFileException(file.toString(), null, "the journal's data dir was removed"));
  }
}
