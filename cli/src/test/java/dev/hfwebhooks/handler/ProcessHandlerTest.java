package dev.hfwebhooks.handler;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.handler.Outcome.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes; the HTTP-facing rules are in WebhookServerTest. */
class ProcessHandlerTest {
  @TempDir Path dir;

  @Test
  void aPayloadTooLargeForTheEnvironmentStillArrivesOnStdin() throws Exception {
    write(
        dir,
        "size.sh",
        "#!/bin/sh\nbytes=$(wc -c | tr -d ' ')\necho \"{\\\"stdin\\\": $bytes, \\\"env\\\": ${#WEBHOOK_PAYLOAD}}\"\n");
    String big =
        new String(
                dev.hfwebhooks.testing.Fixtures.payload("model-repo-content-update.json"),
                StandardCharsets.UTF_8)
            .replaceFirst("\\{", "{\"padding\": \"" + "x".repeat(200_000) + "\",");
    byte[] body = big.getBytes(StandardCharsets.UTF_8);
    HandlerRun run = new HandlerRun();
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      Outcome outcome = run.run(handlers, "size", body, Duration.ofSeconds(10));

      assertThat(outcome.result()).as(outcome.error()).isEqualTo(Result.SUCCEEDED);
      assertThat(outcome.answer().body()).isEqualTo("{\"stdin\":" + body.length + ",\"env\":0}");
    }
    assertThat(run.log)
        .anySatisfy(line -> assertThat(line).contains("too large for WEBHOOK_PAYLOAD"));
  }

  @Test
  void anAnswerPastTheCapIsCutAndTheLogSaysSo() throws Exception {
    write(dir, "chatty.sh", "#!/bin/sh\nhead -c 3000000 /dev/zero | tr '\\0' 'a'\n");
    HandlerRun run = new HandlerRun();
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      Outcome outcome =
          run.run(
              handlers,
              "chatty",
              dev.hfwebhooks.testing.Fixtures.payload("repo-create.json"),
              Duration.ofSeconds(10));

      assertThat(outcome.result()).isEqualTo(Result.SUCCEEDED);
      assertThat(outcome.answer().json()).isFalse();
      assertThat(outcome.answer().body()).hasSize(AnswerCap.DEFAULT_MAX_BYTES);
    }
    assertThat(run.log).anySatisfy(line -> assertThat(line).contains("answer cut at"));
  }

  @Test
  void aFileThatCannotStartIsAFailureThatSaysWhy() throws Exception {
    write(dir, "nointerp", "#!/no/such/interpreter\n");

    Outcome outcome = HandlerRun.once(dir, "nointerp");

    assertThat(outcome.result()).isEqualTo(Result.FAILED);
    assertThat(outcome.error()).startsWith("could not start ").contains("nointerp");
  }

  // Found through PayloadParserPropertiesTest: Json.tryParse took the first JSON value of a text
  // and dropped the rest, so an answer of two JSON lines came back as its first line alone.
  @Test
  void twoJsonValuesOnStdoutAreAnsweredWholeAsText() throws Exception {
    write(dir, "two.sh", "#!/bin/sh\necho '{\"a\": 1}'\necho '{\"b\": 2}'\n");

    Outcome outcome = HandlerRun.once(dir, "two");

    assertThat(outcome.result()).as(outcome.error()).isEqualTo(Result.SUCCEEDED);
    assertThat(outcome.answer().json()).isFalse();
    assertThat(outcome.answer().body()).isEqualTo("{\"a\": 1}\n{\"b\": 2}\n");
  }
}
