package dev.hfwebhooks.handler.python;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.hfwebhooks.handler.HandlerFile;
import dev.hfwebhooks.handler.HandlerKind;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a .py file is told apart, without running it. */
class PythonScanTest {
  @TempDir Path dir;

  @BeforeAll
  static void debianPython() {
    assumeThat(Fixtures.DEBIAN_PYTHON).as("Debian's python3 (.ci/run installs it)").exists();
  }

  private HandlerFile only(HandlerScan scan, String name) {
    return scan.handlers().stream().filter(h -> h.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void eachKindOfPythonFileIsToldApartWithoutRunningIt() throws Exception {
    Path ran = dir.resolve("ran");
    String sideEffect = "open(%s, 'w').write('ran')\n".formatted("\"" + ran + "\"");
    write(dir, "warm.py", sideEffect + "async def handle(payload, context):\n    pass\n");
    write(
        dir,
        "app.py",
        sideEffect
            + """
            from huggingface_hub import WebhooksServer
            app = WebhooksServer()
            @app.add_webhook("/a/b/")
            def first(payload): pass
            @app.add_webhook
            def second(payload): pass
            def third(payload): pass
            app.add_webhook("third-route")(third)
            """);
    write(dir, "script.py", "#!/usr/bin/env python3\nimport sys\nprint(sys.stdin.read())\n");
    write(dir, "library.py", "def helper():\n    return 1\n");
    write(dir, "_shared.py", "X = 1\n");

    HandlerScan scan = Fixtures.scan(dir);

    assertThat(scan.handlers())
        .extracting(HandlerFile::name)
        .containsExactly("a/b", "library", "script", "second", "third-route", "warm");
    assertThat(only(scan, "warm").kind()).isEqualTo(HandlerKind.PYTHON);
    assertThat(only(scan, "warm").problem()).isNull();
    assertThat(only(scan, "a/b").function()).isEqualTo("first");
    assertThat(only(scan, "a/b").path()).isEqualTo(dir.resolve("app.py"));
    assertThat(only(scan, "third-route").function()).isEqualTo("third");
    assertThat(only(scan, "script").kind()).isEqualTo(HandlerKind.PROCESS);
    assertThat(only(scan, "library").problem())
        .startsWith("library.py defines no handle(payload, context) and registers no webhook");
    assertThat(scan.skipped())
        .anySatisfy(s -> assertThat(s.reason()).contains("Python module for handlers to import"));
    assertThat(ran).doesNotExist();
  }

  @Test
  void syntaxErrorsAndMissingModulesAreProblemsWithTheirLine() throws Exception {
    write(dir, "broken.py", "def handle(payload, context):\n    return {\n");
    write(
        dir,
        "needs.py",
        "import json\nimport not_installed_anywhere.sub\ndef handle(p, c):\n    pass\n");
    write(dir, "sibling.py", "import _helpers\ndef handle(p, c):\n    pass\n");
    write(dir, "_helpers.py", "X = 1\n");
    write(dir, "email.py", "def handle(p, c):\n    pass\n");
    write(
        dir,
        "guarded.py",
        "try:\n    import not_installed_anywhere\nexcept ImportError:\n    pass\n"
            + "def handle(p, c):\n    pass\n");

    HandlerScan scan = Fixtures.scan(dir);

    assertThat(only(scan, "broken").problem()).startsWith("broken.py has a syntax error at line 2");
    assertThat(only(scan, "needs").problem())
        .startsWith("line 2: No module named 'not_installed_anywhere' for /usr/bin/python3");
    assertThat(only(scan, "sibling").problem()).isNull();
    assertThat(only(scan, "email").problem())
        .startsWith("email.py has the name of Python's own module email");
    assertThat(only(scan, "guarded").problem()).isNull();
  }

  @Test
  void aRouteClaimedByAFileAndAFunctionIsAConflict() throws Exception {
    write(
        dir,
        "app.py",
        "from huggingface_hub import webhook_endpoint\n"
            + "@webhook_endpoint\ndef deploy(payload): pass\n");
    write(dir, "deploy.sh", "echo {}\n");

    HandlerScan scan = Fixtures.scan(dir);

    assertThat(scan.handlers()).isEmpty();
    assertThat(scan.conflicts())
        .singleElement()
        .satisfies(c -> assertThat(c.name()).isEqualTo("deploy"));
  }

  /** A scanner that stops part way (killed, out of memory) leaves files it never judged. */
  @Test
  void aFileTheScannerDidNotReportOnIsBrokenNotAScript() throws Exception {
    Path file = write(dir, "warm.py", "async def handle(payload, context):\n    pass\n");
    Path python =
        write(
            Files.createDirectories(dir.resolve("bin")),
            "python3",
            "#!/bin/sh\necho '{\"python\": \"3.11.2\", \"files\": []}'\n");

    Map<Path, PythonScan.Result> results =
        PythonScan.of(Interpreter.locate(python, dir, Map.of()), List.of(file));

    assertThat(results.get(file).kind()).isEqualTo(PythonScan.Kind.NONE);
    assertThat(results.get(file).problem()).contains("the Python scanner gave no report on it");
  }

  @Test
  void withoutAPythonTheFilesAreBrokenAndTheOthersServe() throws Exception {
    write(dir, "warm.py", "def handle(payload, context):\n    pass\n");
    write(dir, "script.py", "#!/opt/some/python\nprint('{}')\n");
    write(dir, "shell.sh", "echo {}\n");

    Interpreter none = Interpreter.locate(null, dir, Map.of("PATH", dir.resolve("bin").toString()));
    HandlerScan scan = HandlerScan.of(dir, none);

    assertThat(only(scan, "warm").problem())
        .startsWith("no Python found: install Python 3.9 or newer");
    assertThat(only(scan, "script").kind()).isEqualTo(HandlerKind.PROCESS);
    assertThat(only(scan, "shell").problem()).isNull();
  }

  @Test
  void thePythonIsTheVirtualEnvironmentsThenTheFoldersThenThePaths() throws Exception {
    Path venv = dir.resolve("venv");
    Path local = dir.resolve("handlers");
    write(Files.createDirectories(venv.resolve("bin")), "python", "#!/bin/sh\n");
    write(Files.createDirectories(local.resolve(".venv/bin")), "python", "#!/bin/sh\n");

    assertThat(Interpreter.locate(null, local, Map.of("VIRTUAL_ENV", venv.toString())).executable())
        .isEqualTo(venv.resolve("bin/python"));
    assertThat(Interpreter.locate(null, local, Map.of("PATH", "/usr/bin")).executable())
        .isEqualTo(local.resolve(".venv/bin/python"));
    assertThat(Interpreter.locate(null, dir, Map.of("PATH", "/nowhere:/usr/bin")).executable())
        .isEqualTo(Path.of("/usr/bin/python3"));
    assertThat(Interpreter.locate(dir.resolve("nope"), dir, Map.of()).problem())
        .isEqualTo("--python " + dir.resolve("nope") + " is not an executable file");
  }
}
