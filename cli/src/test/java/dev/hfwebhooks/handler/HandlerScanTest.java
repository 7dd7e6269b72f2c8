package dev.hfwebhooks.handler;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandlerScanTest {
  @TempDir Path dir;

  @Test
  void eachKindOfFileBecomesAHandlerNamedWithoutItsExtension() throws IOException {
    write(dir, "push.js", "function handle() {}");
    write(dir, "module.mjs", "export default () => 1;");
    write(dir, "deploy.sh", "#!/bin/sh\n");
    write(dir, "plain.sh", "echo no execute bit\n");
    write(dir, "evaluate.py", "#!/usr/bin/env python3\n");
    write(dir, "notify", "#!/bin/sh\n");

    HandlerScan scan = HandlerScan.of(dir);

    assertThat(scan.handlers())
        .extracting(HandlerFile::name, HandlerFile::kind, HandlerFile::route)
        .containsExactly(
            tuple("deploy", HandlerKind.PROCESS, "/webhooks/deploy"),
            tuple("evaluate", HandlerKind.PROCESS, "/webhooks/evaluate"),
            tuple("module", HandlerKind.JS, "/webhooks/module"),
            tuple("notify", HandlerKind.PROCESS, "/webhooks/notify"),
            tuple("plain", HandlerKind.SHELL, "/webhooks/plain"),
            tuple("push", HandlerKind.JS, "/webhooks/push"));
    assertThat(scan.skipped()).isEmpty();
    assertThat(scan.conflicts()).isEmpty();
  }

  @Test
  void everythingElseIsSkippedWithAReason() throws IOException {
    write(dir, "README.md", "#!/bin/sh\n"); // executable, still documentation
    write(dir, "notes.txt", "notes");
    write(dir, "payload.json", "{}");
    write(dir, ".env", "#!/bin/sh\n");
    write(dir, "push.js~", "backup");
    write(dir, "push.js.swp", "vim");
    write(dir, "#push.js#", "emacs");
    write(dir, "data", "not executable, no extension");
    write(dir, "has space.sh", "#!/bin/sh\n");
    Files.createDirectory(dir.resolve("lib"));

    HandlerScan scan = HandlerScan.of(dir);

    assertThat(scan.handlers()).isEmpty();
    assertThat(scan.skipped())
        .extracting(s -> s.path().getFileName().toString(), HandlerScan.Skipped::reason)
        .containsExactlyInAnyOrder(
            tuple("README.md", "documentation or data file, not a handler"),
            tuple("notes.txt", "documentation or data file, not a handler"),
            tuple("payload.json", "documentation or data file, not a handler"),
            tuple(".env", "hidden file"),
            tuple("push.js~", "editor backup or temporary file"),
            tuple("push.js.swp", "editor backup or temporary file"),
            tuple("#push.js#", "editor backup or temporary file"),
            tuple(
                "data",
                "not executable: make it executable (chmod +x), or name it .js, .mjs, .py or .sh"),
            tuple(
                "has space.sh",
                "name \"has space\" cannot be a URL path segment: use letters, digits, '-', '_'"
                    + " and '.'"),
            tuple("lib", "folder: handlers are the files directly in the handlers folder"));
  }

  @Test
  void twoFilesWithOneNameAreAConflictNamingBoth() throws IOException {
    write(dir, "deploy.js", "function handle() {}");
    write(dir, "deploy.sh", "#!/bin/sh\n");
    write(dir, "other.sh", "#!/bin/sh\n");

    HandlerScan scan = HandlerScan.of(dir);

    assertThat(scan.handlers()).extracting(HandlerFile::name).containsExactly("other");
    assertThat(scan.conflicts()).hasSize(1);
    assertThat(scan.conflicts().get(0).message())
        .contains("deploy.js")
        .contains("deploy.sh")
        .contains("/webhooks/deploy");
  }

  @Test
  void aMissingFolderIsAClearError() {
    assertThatThrownBy(() -> HandlerScan.of(dir.resolve("nope")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("does not exist");
  }
}
