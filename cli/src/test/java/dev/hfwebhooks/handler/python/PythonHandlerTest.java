package dev.hfwebhooks.handler.python;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.hfwebhooks.handler.AnswerCap;
import dev.hfwebhooks.handler.Delivery;
import dev.hfwebhooks.handler.DeliveryRunner;
import dev.hfwebhooks.handler.HandlerRun;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.handler.Outcome.Result;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.payload.PayloadParser;
import dev.hfwebhooks.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real CPython workers: Debian's python3 with its pydantic. */
class PythonHandlerTest {
  private static final byte[] PUSH = payload("model-repo-content-update.json");

  @TempDir Path dir;
  private final List<String> log = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void debianPython() {
    assumeThat(Fixtures.DEBIAN_PYTHON).as("Debian's python3 (.ci/run installs it)").exists();
  }

  private Outcome run(Handlers handlers, String name, Duration timeout) throws Exception {
    return new HandlerRun().run(handlers, name, PUSH, timeout);
  }

  private Outcome run(Handlers handlers, String name) throws Exception {
    return run(handlers, name, Duration.ofSeconds(20));
  }

  private Outcome once(String name) throws Exception {
    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      return run(handlers, name);
    }
  }

  private static String answer(Outcome outcome) {
    assertThat(outcome.result())
        .as("%s %s", outcome.error(), outcome.log())
        .isEqualTo(Result.SUCCEEDED);
    return outcome.answer().body();
  }

  @Test
  void aDictPayloadAndTheContextWithTheJobsVariables() throws Exception {
    write(
        dir,
        "plain.py",
        """
        import os

        def handle(payload, context):
            return {
                "type": type(payload).__name__,
                "repo": payload["repo"]["name"],
                "headSha": payload["repo"]["headSha"],
                "handler": context.handler,
                "delivery": context.delivery_id,
                "agent": context.headers["user-agent"],
                "env": context.env["WEBHOOK_REPO_ID"],
                "os_environ": os.environ["WEBHOOK_EVENT_SCOPE"],
                "payload_env": "WEBHOOK_PAYLOAD" in os.environ,
                "secret": os.environ.get("WEBHOOK_SECRET"),
            }
        """);

    var json = Json.MAPPER.readTree(answer(once("plain")));

    assertThat(json.path("type").asText()).isEqualTo("dict");
    assertThat(json.path("repo").asText()).isEqualTo("acme/sentiment-model");
    assertThat(json.path("headSha").asText()).isEqualTo("9f2c4e1a7b3d5f608e1c2b4a6d8f0e3c5a7b9d1e");
    assertThat(json.path("handler").asText()).isEqualTo("plain");
    assertThat(json.path("delivery").asText()).hasSize(36);
    assertThat(json.path("agent").asText()).isEqualTo("test");
    assertThat(json.path("env").asText()).isEqualTo("acme/sentiment-model");
    assertThat(json.path("os_environ").asText()).isEqualTo("repo.content");
    assertThat(json.path("payload_env").asBoolean()).isTrue();
    assertThat(json.path("secret").isNull()).isTrue();
  }

  @Test
  void anAnnotatedPayloadIsHuggingfaceHubsModelAndAsyncHandlersAreAwaited() throws Exception {
    write(
        dir,
        "typed.py",
        """
        import asyncio
        from huggingface_hub import WebhookPayload

        async def handle(payload: WebhookPayload, context):
            await asyncio.sleep(0.01)
            return {
                "model": type(payload).__name__,
                "action": payload.event.action,
                "type": payload.repo.type,
                "head_sha": payload.repo.head_sha,
            }
        """);
    write(
        dir,
        "custom.py",
        """
        from pydantic import BaseModel

        class Repo(BaseModel):
            name: str

        class Mine(BaseModel):
            repo: Repo

        def handle(payload: Mine, context):
            return payload
        """);

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      assertThat(answer(run(handlers, "typed")))
          .isEqualTo(
              "{\"model\": \"WebhookPayload\", \"action\": \"update\", \"type\": \"model\","
                  + " \"head_sha\": \"9f2c4e1a7b3d5f608e1c2b4a6d8f0e3c5a7b9d1e\"}");
      assertThat(answer(run(handlers, "custom")))
          .isEqualTo("{\"repo\": {\"name\": \"acme/sentiment-model\"}}");
    }
  }

  @Test
  void printsRawWritesAndSubprocessesGoToTheLogNotTheAnswer() throws Exception {
    write(
        dir,
        "noisy.py",
        """
        import logging, os, subprocess, sys
        print("at import")

        def handle(payload, context):
            print("printed", flush=False)
            os.write(1, b"raw fd 1\\n")
            sys.stderr.write("to stderr\\n")
            logging.warning("logged")
            subprocess.run(["echo", "from a child"])
            sys.stdout.write("no newline at the end")
            return None
        """);

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      Outcome outcome = run(handlers, "noisy");

      assertThat(outcome.answer().body()).contains("\"status\":\"ok\"").contains("\"delivery\"");
      assertThat(outcome.log())
          .containsExactly(
              "printed",
              "raw fd 1",
              "to stderr",
              "WARNING:root:logged",
              "from a child",
              "no newline at the end");
      assertThat(run(handlers, "noisy").log()).hasSize(6);
    }
  }

  @Test
  void anExceptionIsA500WithItsTracebackInTheLog() throws Exception {
    write(
        dir,
        "fails.py",
        """
        def helper():
            raise KeyError("missing")

        def handle(payload, context):
            helper()
        """);

    Outcome outcome = once("fails");

    assertThat(outcome.result()).isEqualTo(Result.FAILED);
    assertThat(outcome.error()).isEqualTo("fails failed: KeyError: 'missing'");
    assertThat(String.join("\n", outcome.log()))
        .contains("fails.py\", line 5, in handle")
        .contains("line 2, in helper")
        .doesNotContain("hf_webhooks_worker");
  }

  @Test
  void aHangingHandlerIsStoppedAndTheNextDeliveryRunsOnAFreshWorker() throws Exception {
    Path pids = dir.resolve("pids");
    write(
        dir,
        "hangs.py",
        """
        import os, subprocess, time

        def handle(payload, context):
            child = subprocess.Popen(["sleep", "600"])
            with open(%s, "a") as f:
                f.write(f"{os.getpid()} {child.pid}\\n")
            if os.path.exists(%s):
                return {"pid": os.getpid()}
            time.sleep(600)
        """
            .formatted(py(pids), py(dir.resolve("go"))));

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      Outcome hung = run(handlers, "hangs", Duration.ofSeconds(2));
      assertThat(hung.result()).isEqualTo(Result.TIMED_OUT);
      assertThat(hung.error()).isEqualTo("hangs timed out after 2 s and was stopped");
      // The worker said where it was when it was stopped.
      assertThat(String.join("\n", hung.log())).contains("in handle");
      String[] first = Files.readAllLines(pids).get(0).split(" ", -1);
      assertThat(Fixtures.isRunning(Long.parseLong(first[0]))).as("the worker").isFalse();
      assertThat(Fixtures.isRunning(Long.parseLong(first[1]))).as("its child").isFalse();

      Files.writeString(dir.resolve("go"), "");
      Outcome next = run(handlers, "hangs");
      assertThat(answer(next)).doesNotContain(first[0]);
    }
  }

  @Test
  void aWorkerThatDiesMidDeliveryIsA500WithItsLastLinesAndIsReplaced() throws Exception {
    write(
        dir,
        "dies.py",
        """
        import os, sys
        calls = 0

        def handle(payload, context):
            global calls
            calls += 1
            if os.path.exists(%s) and calls == 1:
                print("about to go")
                os._exit(3)
            return {"calls": calls, "pid": os.getpid()}
        """
            .formatted(py(dir.resolve("die"))));

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      Files.writeString(dir.resolve("die"), "");
      Outcome died = run(handlers, "dies");
      assertThat(died.result()).isEqualTo(Result.FAILED);
      assertThat(died.error())
          .isEqualTo("dies failed: the Python worker exited with status 3 during the delivery");
      assertThat(died.log()).contains("about to go");

      Files.delete(dir.resolve("die"));
      assertThat(answer(run(handlers, "dies"))).startsWith("{\"calls\": 1,");
    }
  }

  @Test
  void aFileThatFailsToImportIsBrokenWithItsLineAndRetriedWhenFixed() throws Exception {
    Path file =
        write(
            dir,
            "bad.py",
            "import os\n\nvalue = 1 / 0\n\ndef handle(payload, context):\n    pass\n");

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      Outcome outcome = run(handlers, "bad");
      assertThat(outcome.result()).isEqualTo(Result.FAILED);
      assertThat(outcome.error())
          .isEqualTo("bad cannot run: bad.py line 3: ZeroDivisionError: division by zero");
      assertThat(String.join("\n", outcome.log())).contains("bad.py\", line 3, in <module>");
      assertThat(handlers.find("bad").orElseThrow().problem())
          .hasValue("bad.py line 3: ZeroDivisionError: division by zero");
      // Within the back-off, the next delivery fails at once, without importing again.
      assertThat(run(handlers, "bad").error()).endsWith("division by zero");

      Files.writeString(file, "def handle(payload, context):\n    return 'fixed'\n");
      handlers.rescan(line -> {});
      assertThat(answer(run(handlers, "bad"))).isEqualTo("\"fixed\"");
      assertThat(handlers.find("bad").orElseThrow().problem()).isEmpty();
    }
  }

  @Test
  void anEditedFileIsImportedAgainByNewWorkers() throws Exception {
    Path file =
        write(dir, "edit.py", "import os\ndef handle(p, c):\n    return [1, os.getpid()]\n");

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      String before = answer(run(handlers, "edit"));
      assertThat(before).startsWith("[1, ");

      Files.writeString(file, "import os\ndef handle(p, c):\n    return [2, os.getpid()]\n");
      List<String> changes = new CopyOnWriteArrayList<>();
      handlers.rescan(changes::add);

      String after = answer(run(handlers, "edit"));
      assertThat(after).startsWith("[2, ").isNotEqualTo(before.replace("[1", "[2"));
    }
  }

  @Test
  void workersAreRecycledAfterTheirDeliveries() throws Exception {
    write(dir, "count.py", "import os\ndef handle(p, c):\n    return os.getpid()\n");

    try (Handlers handlers = new Handlers(Fixtures.scan(dir), PythonSettings.of(2, 2, 0))) {
      String first = answer(run(handlers, "count"));
      assertThat(answer(run(handlers, "count"))).isEqualTo(first);
      // The second delivery spent the worker: a replacement takes over once it has imported.
      String later = first;
      for (int i = 0; i < 50 && later.equals(first); i++) {
        later = answer(run(handlers, "count"));
        Thread.sleep(20);
      }
      assertThat(later).isNotEqualTo(first);
      long pid = Long.parseLong(first);
      for (int i = 0; i < 200 && Fixtures.isRunning(pid); i++) {
        Thread.sleep(20);
      }
      assertThat(Fixtures.isRunning(pid)).as("the recycled worker left").isFalse();
    }
  }

  @Test
  void aWorkerPastItsMemoryLimitIsReplaced() throws Exception {
    write(dir, "big.py", "import os\ndef handle(p, c):\n    return os.getpid()\n");

    // A limit of one byte: every worker is past it after its first delivery.
    try (Handlers handlers = new Handlers(Fixtures.scan(dir), PythonSettings.of(2, 0, 1))) {
      String first = answer(run(handlers, "big"));
      String later = first;
      for (int i = 0; i < 50 && later.equals(first); i++) {
        Thread.sleep(20);
        later = answer(run(handlers, "big"));
      }
      assertThat(later).isNotEqualTo(first);
    }
  }

  @Test
  void backgroundTasksRunAfterTheAnswer() throws Exception {
    Path done = dir.resolve("done");
    write(
        dir,
        "tasks.py",
        """
        import time
        from huggingface_hub import webhook_endpoint, WebhookPayload
        from fastapi import BackgroundTasks

        def later(path, text):
            time.sleep(0.3)
            open(path, "w").write(text)

        @webhook_endpoint
        def queue_it(payload: WebhookPayload, task: BackgroundTasks):
            task.add_task(later, %s, payload.repo.name)
            return {"queued": True}
        """
            .formatted(py(done)));

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      assertThat(answer(run(handlers, "queue_it"))).isEqualTo("{\"queued\": true}");
      assertThat(done).doesNotExist();
      for (int i = 0; i < 100 && !Files.exists(done); i++) {
        Thread.sleep(20);
      }
      assertThat(done).hasContent("acme/sentiment-model");
    }
  }

  @Test
  void aLongLineWithoutItsNewlineDoesNotStrandTheWorker() throws Exception {
    write(
        dir,
        "long.py",
        "import sys\ndef handle(p, c):\n    sys.stderr.write('x' * 8172)\n    return 1\n");

    try (Handlers handlers = new Handlers(Fixtures.scan(dir), PythonSettings.of(1, 0, 0))) {
      for (int i = 0; i < 3; i++) {
        Outcome outcome = run(handlers, "long", Duration.ofSeconds(5));
        assertThat(answer(outcome)).isEqualTo("1");
        // No piece of the marker that ends a delivery's log leaks into it.
        assertThat(outcome.log()).isNotEmpty().allMatch(l -> l.matches("x+( \\[line cut])?"));
      }
    }
  }

  @Test
  void theWaitForABusyWorkerDoesNotShortenTheRun() throws Exception {
    // One worker, a handler of 1.2 s, --timeout 2 s: the second delivery waits about 1.2 s for
    // the worker, then still has its whole 2 s to run (when the wait counted, 0.8 s were left).
    write(
        dir, "busy.py", "import time\ndef handle(p, c):\n    time.sleep(1.2)\n    return 'ran'\n");

    try (Handlers handlers = new Handlers(Fixtures.scan(dir), PythonSettings.of(1, 0, 0))) {
      answer(run(handlers, "busy")); // imported and warm
      var first =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return run(handlers, "busy", Duration.ofSeconds(2));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread.sleep(100); // the first holds the worker
      Outcome second = run(handlers, "busy", Duration.ofSeconds(2));

      assertThat(answer(first.get())).isEqualTo("\"ran\"");
      assertThat(second.error()).isNull();
      assertThat(answer(second)).isEqualTo("\"ran\"");
    }
  }

  @Test
  void aDeliveryRunningWhenItsFileIsRemovedFinishes() throws Exception {
    Path file =
        write(
            dir,
            "slow.py",
            "import time\ndef handle(p, c):\n    time.sleep(1.5)\n    return 'done'\n");

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      answer(run(handlers, "slow")); // imported and warm
      var running =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return run(handlers, "slow");
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread.sleep(500);
      Files.delete(file);
      handlers.rescan(line -> {});

      assertThat(handlers.find("slow")).isEmpty();
      assertThat(answer(running.get())).isEqualTo("\"done\"");
    }
  }

  @Test
  void aHungImportDoesNotHoldBackTheFixedFile() throws Exception {
    Path file =
        write(dir, "stuck.py", "import time\ntime.sleep(600)\ndef handle(p, c):\n    pass\n");

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      Outcome waited = run(handlers, "stuck", Duration.ofSeconds(1));
      assertThat(waited.result()).isEqualTo(Result.TIMED_OUT);
      assertThat(waited.error())
          .isEqualTo(
              "stuck did not run: no Python worker was free within 1 s"
                  + " (all busy, or still importing stuck.py)");

      Files.writeString(file, "def handle(p, c):\n    return 'fixed'\n");
      handlers.rescan(line -> {});
      assertThat(answer(run(handlers, "stuck"))).isEqualTo("\"fixed\"");
    }
  }

  @Test
  void whatAHandlerLeftRunningEndsWithItsWorker() throws Exception {
    Path pids = dir.resolve("pids");
    write(
        dir,
        "leaves.py",
        """
        import os, subprocess, threading, time
        threading.Thread(target=time.sleep, args=(600,)).start()  # not a daemon

        def handle(payload, context):
            child = subprocess.Popen(["sleep", "600"])
            open(%s, "w").write(f"{os.getpid()} {child.pid}")
        """
            .formatted(py(pids)));

    Handlers handlers = new Handlers(Fixtures.scan(dir));
    answer(run(handlers, "leaves"));
    handlers.close();

    String[] started = Files.readString(pids).split(" ", -1);
    for (String pid : started) {
      for (int i = 0; i < 100 && Fixtures.isRunning(Long.parseLong(pid)); i++) {
        Thread.sleep(50);
      }
      assertThat(Fixtures.isRunning(Long.parseLong(pid))).as("process " + pid).isFalse();
    }
  }

  @Test
  void aBigPayloadIsInOsEnvironAndSubprocessesStillStart() throws Exception {
    write(
        dir,
        "big.py",
        """
        import os, subprocess
        def handle(payload, context):
            subprocess.run(["true"], check=True)
            return {"inEnv": "WEBHOOK_PAYLOAD" in os.environ, "size": len(payload["padding"])}
        """);
    String json = new String(PUSH, java.nio.charset.StandardCharsets.UTF_8);
    byte[] big =
        json.replaceFirst("\\{", "{\"padding\": \"" + "x".repeat(200_000) + "\", ")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);

    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      Delivery delivery =
          new Delivery(
              Delivery.newId(),
              big,
              PayloadParser.parse(big),
              Map.of(),
              Duration.ofSeconds(20),
              log::add);
      Outcome outcome = DeliveryRunner.run(handlers.find("big").orElseThrow(), delivery);
      assertThat(answer(outcome)).isEqualTo("{\"inEnv\": true, \"size\": 200000}");
    }
  }

  @Test
  void postponedAnnotationsStillGiveTheModel() throws Exception {
    write(
        dir,
        "later.py",
        """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        from huggingface_hub import WebhookPayload
        if TYPE_CHECKING:
            from somewhere import Context

        def handle(payload: WebhookPayload, context: Context):
            return type(payload).__name__
        """);

    assertThat(answer(once("later"))).isEqualTo("\"WebhookPayload\"");
  }

  private static String py(Path path) {
    return "\"" + path.toString().replace("\\", "\\\\") + "\"";
  }

  @Test
  void anAnswerPastTheCapIsCutAndTheLogSaysSoAsForAProcess() throws Exception {
    write(dir, "chatty.py", "def handle(payload, context):\n    return 'a' * 3_000_000\n");
    HandlerRun run = new HandlerRun();
    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      Outcome outcome = run.run(handlers, "chatty", PUSH, Duration.ofSeconds(20));

      assertThat(answer(outcome)).hasSize(AnswerCap.DEFAULT_MAX_BYTES).startsWith("\"aaa");
      assertThat(outcome.answer().json()).isFalse();
    }
    assertThat(run.log).contains(AnswerCap.cutLine(AnswerCap.DEFAULT_MAX_BYTES));
  }

  // Found while writing WholeWayPropertiesTest: "\ud800" is valid JSON, Python reads it as a lone
  // surrogate, and the answer's UTF-8 encoding could not hold it.
  @Test
  void aLoneSurrogateThePayloadCarriedGoesBackAsTheEscapeItCameAs() throws Exception {
    write(dir, "echo.py", "def handle(payload, context):\n    return payload['repo']['name']\n");
    byte[] body =
        Fixtures.payloadText("model-repo-content-update.json")
            .replace("\"acme/sentiment-model\"", "\"acme/\\ud800x\"")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);

    Outcome outcome;
    try (Handlers handlers = new Handlers(Fixtures.scan(dir))) {
      outcome = new HandlerRun().run(handlers, "echo", body, Duration.ofSeconds(20));
    }

    assertThat(Json.MAPPER.readTree(answer(outcome)).textValue()).isEqualTo("acme/\ud800x");
  }
}
