package dev.hfwebhooks.handler;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live set of handlers following the folder while serving. */
class HandlersTest {
  @TempDir Path dir;

  private final List<String> events = new CopyOnWriteArrayList<>();

  /** Waits for a change to be picked up; generous, since machines here are shared and slow. */
  private void eventually(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("change picked up; events: " + events).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void handlersAddedEditedAndRemovedWhileWatchingTakeEffect() throws Exception {
    write(dir, "first.sh", "#!/bin/sh\necho first\n");
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      handlers.watch(events::add);
      Handler first = handlers.find("first").orElseThrow();

      write(dir, "second.js", "function handle() { return 2; }\n");
      eventually(() -> handlers.find("second").isPresent());
      write(dir, "first.sh", "#!/bin/sh\necho edited\n");
      Files.delete(dir.resolve("second.js"));
      eventually(() -> handlers.find("second").isEmpty());

      assertThat(handlers.find("first"))
          .as("an unchanged file keeps its handler")
          .containsSame(first);
      assertThat(handlers.scan().handlers()).extracting(HandlerFile::name).containsExactly("first");
      assertThat(events)
          .contains("added webhook POST /webhooks/second", "removed webhook POST /webhooks/second");
    }
  }

  @Test
  void aWatchedJavaScriptHandlerRunsItsEditedFile() throws Exception {
    write(dir, "edit.js", "function handle() { return 1; }\n");
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      handlers.watch(events::add);
      HandlerRun run = new HandlerRun();
      byte[] body = dev.hfwebhooks.testing.Fixtures.payload("repo-create.json");
      assertThat(run.run(handlers, "edit", body, Duration.ofSeconds(10)).answer().body())
          .isEqualTo("1");

      write(dir, "edit.js", "function handle() { return 2; }\n");
      eventually(
          () -> {
            try {
              return run.run(handlers, "edit", body, Duration.ofSeconds(10))
                  .answer()
                  .body()
                  .equals("2");
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }
  }

  @Test
  void aNewConflictIsReportedAndNeitherFileIsServed() throws Exception {
    write(dir, "deploy.sh", "#!/bin/sh\n");
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      handlers.watch(events::add);

      write(dir, "deploy.js", "function handle() {}\n");
      eventually(() -> handlers.find("deploy").isEmpty());

      assertThat(events)
          .anySatisfy(e -> assertThat(e).startsWith("error: deploy: ").contains("deploy.js"));
      assertThat(handlers.scan().conflicts()).hasSize(1);
    }
  }

  @Test
  void aFolderDeletedWhileWatchingServesNothingSaysSoOnceAndComesBackWithIt() throws Exception {
    Path sub = Files.createDirectory(dir.resolve("handlers"));
    write(sub, "keep.sh", "#!/bin/sh\n");
    try (Handlers handlers = new Handlers(HandlerScan.of(sub))) {
      handlers.watch(events::add);
      Files.delete(sub.resolve("keep.sh"));
      Files.delete(sub);
      eventually(() -> handlers.find("keep").isEmpty());
      handlers.rescan(events::add); // a second look says nothing new

      Files.createDirectory(sub);
      write(sub, "back.sh", "#!/bin/sh\n");
      eventually(() -> handlers.find("back").isPresent());

      assertThat(events.stream().filter(e -> e.contains("is gone")))
          .singleElement()
          .asString()
          .isEqualTo(
              "error: the handlers folder "
                  + sub
                  + " is gone (deleted, moved or replaced by a file): no webhooks are served"
                  + " until it is back");
      assertThat(events).contains("the handlers folder " + sub + " is back");
    }
  }

  @Test
  void aFolderReplacedByAFileServesNothingUntilItIsAFolderAgain() throws Exception {
    Path sub = Files.createDirectory(dir.resolve("handlers"));
    write(sub, "keep.sh", "#!/bin/sh\n");
    try (Handlers handlers = new Handlers(HandlerScan.of(sub))) {
      handlers.watch(events::add);
      Files.move(sub, dir.resolve("moved"));
      Files.writeString(sub, "not a folder");
      eventually(() -> handlers.find("keep").isEmpty());

      Files.delete(sub);
      Files.move(dir.resolve("moved"), sub);
      eventually(() -> handlers.find("keep").isPresent());
    }
  }
}
