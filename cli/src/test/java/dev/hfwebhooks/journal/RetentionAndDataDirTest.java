package dev.hfwebhooks.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionAndDataDirTest {
  @TempDir Path home;

  @Test
  void keepReadsACountOrAnAge() {
    assertThat(Retention.parse("5000")).isEqualTo(new Retention(5000, null));
    assertThat(Retention.parse("30d")).isEqualTo(new Retention(0, Duration.ofDays(30)));
    assertThat(Retention.parse("12h")).isEqualTo(new Retention(0, Duration.ofHours(12)));
    assertThat(Retention.parse("90m")).isEqualTo(new Retention(0, Duration.ofMinutes(90)));
    assertThat(Retention.parse("2w")).isEqualTo(new Retention(0, Duration.ofDays(14)));
    assertThatThrownBy(() -> Retention.parse("forever"))
        .hasMessage(
            "'forever' is neither a number of deliveries (5000) nor an age (30d, 12h, 90m)");
    assertThatThrownBy(() -> Retention.parse("0")).hasMessageContaining("at least 1");
  }

  @Test
  void theDataDirIsTheUsersStateFolder() {
    Path noSpace = home.resolve("no-data");

    assertThat(DataDir.defaultPath(Map.of(), home, noSpace))
        .isEqualTo(home.resolve(".local/state/hf-webhooks"));
    assertThat(DataDir.defaultPath(Map.of("XDG_STATE_HOME", "/var/state"), home, noSpace))
        .isEqualTo(Path.of("/var/state/hf-webhooks"));
    assertThat(DataDir.defaultPath(Map.of("XDG_STATE_HOME", "relative"), home, noSpace))
        .as("a relative XDG_STATE_HOME is ignored, as the spec says")
        .isEqualTo(home.resolve(".local/state/hf-webhooks"));
  }

  @Test
  void onASpaceWithPersistentStorageTheDataDirIsOnIt() throws Exception {
    Path storage = Files.createDirectory(home.resolve("data"));
    Map<String, String> space = Map.of("SPACE_HOST", "acme-hooks.hf.space");

    assertThat(DataDir.defaultPath(space, home, storage)).isEqualTo(storage.resolve("hf-webhooks"));
    assertThat(DataDir.defaultPath(space, home, home.resolve("none")))
        .as("a Space without storage")
        .isEqualTo(home.resolve(".local/state/hf-webhooks"));
  }

  @Test
  void aDataDirUnderAFileCannotBeWrittenAndSaysWhatToDo() throws Exception {
    Path file = Files.writeString(home.resolve("a-file"), "x");

    assertThatThrownBy(() -> DataDir.checkWritable(file.resolve("journal")))
        .isInstanceOf(JournalException.class)
        .hasMessageStartingWith("cannot write to the data dir " + file.resolve("journal"))
        .hasMessageEndingWith(
            "pass --data-dir with a writable folder, or --no-journal to record nothing");
  }

  @Test
  void aSecondServeOnOneDataDirIsRefused() {
    try (DataDir.Lock first = DataDir.lock(home)) {
      assertThatThrownBy(() -> DataDir.lock(home))
          .isInstanceOf(JournalException.class)
          .hasMessage(
              "another hf-webhooks serve (pid %d) uses the data dir %s: stop it, or pass another --data-dir"
                  .formatted(ProcessHandle.current().pid(), home));
    }
    DataDir.lock(home).close(); // free again once the first let go
  }
}
