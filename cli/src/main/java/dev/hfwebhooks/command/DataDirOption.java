package dev.hfwebhooks.command;

import dev.hfwebhooks.journal.DataDir;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the journal is: {@code serve} writes it, {@code deliveries} and {@code replay} read it. */
final class DataDirOption {
  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Folder of the delivery journal (default: $XDG_STATE_HOME/hf-webhooks or"
              + " ~/.local/state/hf-webhooks; /data/hf-webhooks on a Space with storage).")
  Path dataDir;

  /** The folder given, or the default for this user and machine. */
  Path dir() {
    return dataDir != null ? dataDir : DataDir.defaultPath(System.getenv());
  }

  /** The journal's file. */
  Path journal() {
    return DataDir.journal(dir());
  }
}
