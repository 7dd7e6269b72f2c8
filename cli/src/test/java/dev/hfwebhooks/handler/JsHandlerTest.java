package dev.hfwebhooks.handler;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.handler.Outcome.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real GraalVM JavaScript. */
class JsHandlerTest {
  @TempDir Path dir;

  private static final byte[] PUSH = payload("model-repo-content-update.json");

  @Test
  void thePayloadIsAPlainObjectAndTheReturnValueIsTheAnswer() throws Exception {
    write(
        dir,
        "plain.js",
        """
        function handle(payload, context) {
          const copy = { ...payload.repo };
          return {
            keys: Object.keys(payload),
            isPlain: Object.getPrototypeOf(payload) === Object.prototype,
            roundTrip: JSON.parse(JSON.stringify(payload)).repo.headSha,
            spreadName: copy.name,
            handler: context.handler,
            hasDeliveryId: typeof context.deliveryId === "string" && context.deliveryId.length > 0,
            userAgent: context.headers["user-agent"],
          };
        }
        """);

    Outcome outcome = HandlerRun.once(dir, "plain");

    assertThat(outcome.result()).as(outcome.error()).isEqualTo(Result.SUCCEEDED);
    assertThat(outcome.answer().json()).isTrue();
    assertThat(outcome.answer().body())
        .isEqualTo(
            "{\"keys\":[\"event\",\"repo\",\"webhook\",\"updatedRefs\"],\"isPlain\":true,"
                + "\"roundTrip\":\"9f2c4e1a7b3d5f608e1c2b4a6d8f0e3c5a7b9d1e\","
                + "\"spreadName\":\"acme/sentiment-model\",\"handler\":\"plain\","
                + "\"hasDeliveryId\":true,\"userAgent\":\"test\"}");
  }

  @Test
  void anAsyncModuleExportIsAwaited() throws Exception {
    write(
        dir,
        "mod.mjs",
        """
        const prefix = "repo:";
        export default async function (payload) {
          const name = await Promise.resolve(payload.repo.name);
          return prefix + name;
        }
        """);
    write(dir, "named.mjs", "export function handle(p) { return { type: p.repo.type }; }\n");

    assertThat(HandlerRun.once(dir, "mod").answer().body())
        .isEqualTo("\"repo:acme/sentiment-model\"");
    assertThat(HandlerRun.once(dir, "named").answer().body()).isEqualTo("{\"type\":\"model\"}");
  }

  @Test
  void undefinedGivesTheDefaultAnswerAndConsoleGoesToTheLog() throws Exception {
    write(
        dir,
        "quiet.js",
        """
        function handle(payload) {
          console.log("pushed", payload.repo.name);
          console.error("to stderr");
        }
        """);
    HandlerRun run = new HandlerRun();
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      Outcome outcome = run.run(handlers, "quiet", PUSH, Duration.ofSeconds(10));

      assertThat(outcome.answer().body())
          .matches("\\{\"status\":\"ok\",\"delivery\":\"[0-9a-f-]{36}\"}");
    }
    assertThat(run.log).containsExactly("pushed acme/sentiment-model", "to stderr");
  }

  @Test
  void aThrownErrorOrRejectedPromiseFailsWithItsMessage() throws Exception {
    write(dir, "throws.js", "function handle() { throw new TypeError('bad input'); }\n");
    write(dir, "rejects.js", "async function handle() { throw new Error('async boom'); }\n");
    write(dir, "string.js", "function handle() { return Promise.reject('just a string'); }\n");

    Outcome thrown = HandlerRun.once(dir, "throws");
    Outcome rejected = HandlerRun.once(dir, "rejects");
    Outcome string = HandlerRun.once(dir, "string");

    assertThat(thrown.result()).isEqualTo(Result.FAILED);
    assertThat(thrown.error()).isEqualTo("throws failed: TypeError: bad input");
    assertThat(thrown.log()).anySatisfy(line -> assertThat(line).contains("throws.js"));
    assertThat(rejected.error()).isEqualTo("rejects failed: Error: async boom");
    assertThat(string.error()).isEqualTo("string failed: threw just a string");
  }

  @Test
  void aThrownErrorOfAnySizeIsCutAsALogLineIs() throws Exception {
    write(dir, "huge.js", "function handle() { throw new Error('\u00e9'.repeat(3000000)); }\n");
    write(dir, "hugestring.js", "function handle() { throw 'x'.repeat(3000000); }\n");

    Outcome error = HandlerRun.once(dir, "huge");
    Outcome string = HandlerRun.once(dir, "hugestring");

    assertThat(error.result()).isEqualTo(Result.FAILED);
    assertThat(error.error())
        .startsWith("huge failed: Error: \u00e9\u00e9\u00e9")
        .endsWith("\u00e9 [line cut]")
        .hasSize(4000 + " [line cut]".length());
    assertThat(string.error())
        .startsWith("hugestring failed: threw xxx")
        .hasSize(4000 + " [line cut]".length());
  }

  @Test
  void aSyntaxErrorSaysWhere() throws Exception {
    write(dir, "broken.js", "function handle(payload) {\n  return {;\n}\n");

    Outcome outcome = HandlerRun.once(dir, "broken");

    assertThat(outcome.result()).isEqualTo(Result.FAILED);
    assertThat(outcome.error()).startsWith("broken.js has a syntax error at line 2, column");
  }

  @Test
  void aScriptWithoutHandleSaysWhatIsMissing() throws Exception {
    write(dir, "nothing.js", "const x = 1;\n");

    assertThat(HandlerRun.once(dir, "nothing").error())
        .isEqualTo("nothing.js must define function handle(payload, context)");
  }

  @Test
  void anEndlessLoopIsStoppedAtTheTimeoutAndTheHandlerKeepsWorking() throws Exception {
    write(
        dir,
        "loop.js",
        "function handle(p) { if (p.event.action === 'update') { while (true) {} } return 'ok'; }\n");
    HandlerRun run = new HandlerRun();
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      Outcome stuck = run.run(handlers, "loop", PUSH, Duration.ofSeconds(1));
      Outcome next = run.run(handlers, "loop", payload("repo-create.json"), Duration.ofSeconds(10));

      assertThat(stuck.result()).isEqualTo(Result.TIMED_OUT);
      assertThat(stuck.error()).isEqualTo("loop timed out after 1 s and was stopped");
      assertThat(next.result()).isEqualTo(Result.SUCCEEDED);
      assertThat(next.answer().body()).isEqualTo("\"ok\"");
    }
  }

  @Test
  void aPromiseThatNeverSettlesIsATimeout() throws Exception {
    write(dir, "pending.js", "function handle() { return new Promise(() => {}); }\n");

    Outcome outcome = HandlerRun.once(dir, "pending");

    assertThat(outcome.result()).isEqualTo(Result.TIMED_OUT);
    assertThat(outcome.error()).contains("never settled");
  }

  @Test
  void theSandboxHasNoJavaFilesProcessesOrEnvironment() throws Exception {
    write(
        dir,
        "escape.js",
        """
        function handle() {
          const tries = {
            javaType: () => Java.type("java.lang.Runtime"),
            polyglot: () => Polyglot.eval("python", "1"),
            require: () => require("fs"),
            load: () => load("/etc/passwd"),
            process: () => process.env.HOME,
            importClass: () => Packages.java.lang.System.getenv("HOME"),
          };
          const results = {};
          for (const [name, attempt] of Object.entries(tries)) {
            try {
              results[name] = "ESCAPED: " + String(attempt());
            } catch (e) {
              results[name] = "blocked";
            }
          }
          return results;
        }
        """);

    Outcome outcome = HandlerRun.once(dir, "escape");

    assertThat(outcome.result()).as(outcome.error()).isEqualTo(Result.SUCCEEDED);
    assertThat(outcome.answer().body()).doesNotContain("ESCAPED");
  }

  @Test
  void globalsThatCouldOnlyFailInTheSandboxAreAbsent() throws Exception {
    write(
        dir,
        "globals.js",
        "function handle() { return [typeof load, typeof Graal, typeof Polyglot,"
            + " typeof console, typeof JSON, typeof Intl]; }\n");

    // Java and Packages stay (removing them takes an experimental option); the escape test
    // shows they cannot reach a class.
    assertThat(HandlerRun.once(dir, "globals").answer().body())
        .isEqualTo("[\"undefined\",\"undefined\",\"undefined\",\"object\",\"object\",\"object\"]");
  }

  @Test
  void warmContextsAreReusedAndAnEditTakesEffectOnTheNextDelivery() throws Exception {
    Path file =
        write(dir, "count.js", "let n = 0;\nfunction handle() { n++; return { v: 1, n }; }\n");
    HandlerRun run = new HandlerRun();
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      Outcome first = run.run(handlers, "count", PUSH, Duration.ofSeconds(10));
      Outcome second = run.run(handlers, "count", PUSH, Duration.ofSeconds(10));
      write(dir, "count.js", "let n = 0;\nfunction handle() { n++; return { v: 2, n }; }\n");
      Outcome edited = run.run(handlers, "count", PUSH, Duration.ofSeconds(10));

      assertThat(first.answer().body()).isEqualTo("{\"v\":1,\"n\":1}");
      assertThat(second.answer().body()).as("same warm context").isEqualTo("{\"v\":1,\"n\":2}");
      assertThat(edited.answer().body())
          .as("fresh context from the edited file")
          .isEqualTo("{\"v\":2,\"n\":1}");
    }
    assertThat(file).exists();
  }

  @Test
  void concurrentDeliveriesEachGetTheirOwnAnswer() throws Exception {
    write(
        dir,
        "echo.js",
        "function handle(p, c) { let s = 0; for (let i = 0; i < 10000; i++) s += i; return c.deliveryId; }\n");
    try (Handlers handlers = new Handlers(HandlerScan.of(dir));
        ExecutorService pool = Executors.newFixedThreadPool(8)) {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(
            pool.submit(
                () -> {
                  Delivery delivery =
                      new Delivery(
                          Delivery.newId(),
                          PUSH,
                          dev.hfwebhooks.payload.PayloadParser.parse(PUSH),
                          java.util.Map.of(),
                          Duration.ofSeconds(30),
                          line -> {});
                  Outcome outcome =
                      DeliveryRunner.run(handlers.find("echo").orElseThrow(), delivery);
                  return outcome.succeeded()
                      && outcome.answer().body().equals("\"" + delivery.id() + "\"");
                }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    }
  }

  @Test
  void aSyntaxErrorIsReportedWithoutRunningTheFile() throws Exception {
    write(dir, "broken.js", "function handle(payload) {\n  return {;\n}\n");
    write(dir, "fine.mjs", "console.log('never printed: not run');\nexport default () => 1;\n");

    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      assertThat(handlers.find("broken").orElseThrow().problem())
          .hasValueSatisfying(
              p ->
                  assertThat(p)
                      .matches("broken\\.js has a syntax error at line 2, column \\d+: .+"));
      assertThat(handlers.find("fine").orElseThrow().problem()).isEmpty();
    }
  }

  @Test
  void whatTheFilePrintsAsItLoadsGoesToTheFirstDeliverysLog() throws Exception {
    write(
        dir,
        "loud.js",
        "console.log('loading');\nfunction handle() { console.log('handling'); }\n");
    HandlerRun run = new HandlerRun();
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      run.run(handlers, "loud", PUSH, Duration.ofSeconds(10));
      run.run(handlers, "loud", PUSH, Duration.ofSeconds(10));
    }
    assertThat(run.log).containsExactly("loading", "handling", "handling");
  }

  @Test
  void anAnswerPastTheCapIsCutBetweenCharactersAndTheLogSaysSoAsForAProcess() throws Exception {
    write(dir, "chatty.js", "function handle() { return 'a'.repeat(3000000); }\n");
    write(dir, "accents.js", "function handle() { return 'é'.repeat(1000000); }\n");
    write(dir, "justUnder.js", "function handle() { return { s: 'a'.repeat(1000000) }; }\n");
    HandlerRun run = new HandlerRun();
    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      Outcome chatty = run.run(handlers, "chatty", PUSH, Duration.ofSeconds(30));
      Outcome accents = run.run(handlers, "accents", PUSH, Duration.ofSeconds(30));
      Outcome justUnder = run.run(handlers, "justUnder", PUSH, Duration.ofSeconds(30));

      assertThat(chatty.result()).as(chatty.error()).isEqualTo(Result.SUCCEEDED);
      // The JSON text "aaa... cut short is no longer JSON: it goes out as text, as it would
      // from a process.
      assertThat(chatty.answer().json()).isFalse();
      assertThat(chatty.answer().body())
          .hasSize(AnswerCap.DEFAULT_MAX_BYTES)
          .startsWith("\"aaa")
          .isEqualTo(chatty.output());
      // Two bytes a character: the cap falls inside one, which is left out whole.
      byte[] cut = accents.answer().body().getBytes(StandardCharsets.UTF_8);
      assertThat(cut.length).isEqualTo(AnswerCap.DEFAULT_MAX_BYTES - 1);
      assertThat(accents.answer().body()).doesNotContain("\uFFFD").endsWith("éé");
      assertThat(justUnder.answer().json()).isTrue();
      assertThat(justUnder.answer().body()).hasSize(1000000 + "{\"s\":\"\"}".length());
    }
    assertThat(run.log)
        .containsExactly(
            "[hf-webhooks] answer cut at 1048576 bytes",
            "[hf-webhooks] answer cut at 1048576 bytes");
  }
}
