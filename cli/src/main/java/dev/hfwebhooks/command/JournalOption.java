package dev.hfwebhooks.command;

import dev.hfwebhooks.journal.DataDir;
import dev.hfwebhooks.journal.JournalStore;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * Where the journal is: serve writes it, {@code deliveries} and {@code replay} read it. An SQLite
 * file in the data dir, or the PostgreSQL database {@code --journal} names, which several servers
 * share.
 */
final class JournalOption {
  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Folder of the delivery journal (default: $XDG_STATE_HOME/hf-webhooks or"
              + " ~/.local/state/hf-webhooks; /data/hf-webhooks on a Space with storage).")
  @Nullable Path dataDir;

  @Option(
      names = "--journal",
      paramLabel = "URL",
      defaultValue = "${env:HF_WEBHOOKS_JOURNAL}",
      description =
          "Keep the journal in this PostgreSQL database instead, shared by every server given"
              + " the same URL: postgresql://user:password@host:5432/database[?sslmode=require]"
              + " (default: $HF_WEBHOOKS_JOURNAL).")
  @Nullable String journal; // null when neither is given: picocli's ${env:...} has no fallback

  /** The store these options name; a malformed URL is a usage error. */
  JournalStore store() {
    try {
      return JournalStore.of(
          journal, dataDir != null ? dataDir : DataDir.defaultPath(System.getenv()));
    } catch (IllegalArgumentException e) {
      throw UserError.usage("--journal: " + e.getMessage());
    }
  }
}
