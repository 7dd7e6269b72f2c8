package dev.hfwebhooks.handler;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.flow.Flow;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DirectivesTest {
  @TempDir Path dir;

  private Directives.Declared read(String name, String content) {
    Path path = write(dir, name, content);
    return Directives.read(new HandlerFile("h", HandlerKind.JS, path));
  }

  private static Watch.Item item(String type, String name) {
    return new Watch.Item(type, name);
  }

  @Test
  void aJavaScriptCommentDeclaresWhatIsWatchedInBothDomainsByDefault() {
    Directives.Declared declared =
        read(
            "push.js",
            """
            // Runs on pushes.
            // @watch model:acme/sentiment-model dataset:acme/reviews org:acme
            function handle() {}
            """);

    assertThat(declared.problem()).isEmpty();
    assertThat(declared.watch())
        .contains(
            new Watch(
                List.of(
                    item("model", "acme/sentiment-model"),
                    item("dataset", "acme/reviews"),
                    item("org", "acme")),
                List.of("repo", "discussion")));
    assertThat(declared.watch().orElseThrow().describe())
        .isEqualTo("model:acme/sentiment-model dataset:acme/reviews org:acme (repo, discussion)");
  }

  @Test
  void everyCommentStyleWorksAndRepeatedWatchLinesAddUp() {
    Directives.Declared declared =
        read(
            "deploy.sh",
            """
            #!/bin/sh
            ## @watch user:julien-c
            -- @watch space:acme/demo, model:gpt2
            /* @watch dataset:squad */
            /**
             * @param payload the event
             * @watch user:julien-c org:HuggingFaceH4
             */
            # @domains discussion
            """);

    assertThat(declared.problem()).isEmpty();
    assertThat(declared.watch())
        .contains(
            new Watch(
                List.of(
                    item("user", "julien-c"),
                    item("space", "acme/demo"),
                    item("model", "gpt2"),
                    item("dataset", "squad"),
                    item("org", "HuggingFaceH4")),
                List.of("discussion")));
  }

  @Test
  void domainsComeInTheHubsOrderWhateverOrderTheyAreWrittenIn() {
    Directives.Declared declared =
        read("a.js", "// @watch org:acme\n// @domains DISCUSSION repo\n");

    assertThat(declared.watch().orElseThrow().domains()).containsExactly("repo", "discussion");
  }

  @Test
  void aHandlerWithoutDirectivesWatchesNothingAndProseIsNotADirective() {
    Directives.Declared declared =
        read(
            "a.js",
            """
            // To register it, add a line such as: // @watch model:you/your-model
            // @watcher is not a directive, nor is @watch in the middle of code:
            const s = "@watch model:x";
            """);

    assertThat(declared.watch()).isEmpty();
    assertThat(declared.problem()).isEmpty();
  }

  @Test
  void aDirectivePastTheTwentiethLineIsNotRead() {
    String nineteen = "// filler\n".repeat(19);

    Directives.Declared line20 = read("a.js", nineteen + "// @watch org:acme\n");
    Directives.Declared line21 = read("b.js", nineteen + "\n// @watch org:acme\n");

    assertThat(line20.watch()).isPresent();
    assertThat(line21.watch()).isEmpty();
  }

  @Test
  void aBinaryFileIsReadNoFurtherThanItsHead() {
    Path path = write(dir, "tool", "x".repeat(Directives.MAX_BYTES * 4) + "\n# @watch org:x\n");

    Directives.Declared declared =
        Directives.read(new HandlerFile("tool", HandlerKind.PROCESS, path));

    assertThat(declared.watch()).isEmpty();
    assertThat(declared.problem()).isEmpty();
  }

  @Test
  void flowControlIsReadWithItsLines() {
    Directives.Declared declared =
        read(
            "flow.sh",
            """
            #!/bin/sh
            # @watch dataset:acme/reviews
            # @filter updatedRefs.ref == refs/heads/main
            # @concurrency 2 key=repo.name
            # @debounce 90s max=2h
            """);

    assertThat(declared.problem()).isEmpty();
    assertThat(declared.flow().describe())
        .containsExactly(
            "@filter updatedRefs.ref == refs/heads/main",
            "@debounce 90s key=repo.name max=2h",
            "@concurrency 2 key=repo.name");
    assertThat(declared.flow().debounce().window()).isEqualTo(java.time.Duration.ofSeconds(90));
    assertThat(declared.flow().filters().getFirst().line()).isEqualTo(3);
    assertThat(declared.flow().concurrency().line()).isEqualTo(4);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of(
            "// @watch",
            1,
            "@watch needs at least one TYPE:NAME, e.g. @watch model:acme/sentiment-model or @watch"
                + " org:acme"),
        Arguments.of(
            "// @watch acme/sentiment-model",
            1,
            "\"acme/sentiment-model\" is not TYPE:NAME (types: user, org, model, dataset, space),"
                + " e.g. @watch model:acme/sentiment-model"),
        Arguments.of(
            "#!/bin/sh\n# @watch models:acme/x",
            2,
            "\"models\" is not a type: use user, org, model, dataset or space"),
        Arguments.of("// @watch model:", 1, "\"model:\" has no name after the colon"),
        Arguments.of(
            "// @watch org:acme/x",
            1,
            "\"org:acme/x\": an org is one name without '/'; to watch one repository, write"
                + " model:acme/x"),
        Arguments.of(
            "// @watch space:demo",
            1,
            "\"space:demo\": a space is named owner/name, e.g. space:acme/demo"),
        Arguments.of(
            "// @watch model:acme/a/b",
            1,
            "\"model:acme/a/b\": a model is named owner/name, e.g. model:acme/demo"),
        Arguments.of(
            "// @watch user:j$c",
            1,
            "\"j$c\" is not a valid name: use letters, digits, '-', '_' and '.'"),
        Arguments.of(
            "// @watch org:acme\n// @domains", 2, "@domains needs repo, discussion or both"),
        Arguments.of(
            "// @watch org:acme\n// @domains discussions",
            2,
            "\"discussions\" is not a domain: use repo, discussion or both"),
        Arguments.of(
            "// @watch org:acme\n// @domains repo\n// @domains discussion",
            3,
            "@domains is already given on line 2"),
        Arguments.of(
            "\n// @domains repo",
            2,
            "@domains without @watch: say what to watch, e.g. @watch model:acme/sentiment-model"),
        Arguments.of(
            "// @filter repo.type",
            1,
            "@filter needs PATH OP VALUE with spaces between them, e.g. @filter repo.type =="
                + " dataset"),
        Arguments.of(
            "// @filter repo.type==dataset",
            1,
            "@filter needs PATH OP VALUE with spaces between them, e.g. @filter repo.type =="
                + " dataset"),
        Arguments.of(
            "// @watch org:acme\n# @filter repo.type = dataset",
            2,
            "\"=\" is not an operator: use ==, !=, in (a comma-separated list) or ~ (a glob, *"
                + " for any run of characters)"),
        Arguments.of(
            "// @filter repo.typ == dataset",
            1,
            "\"repo.typ\" can never be in a v3 payload: repo has no field \"typ\" (it has"
                + " headSha, id, name, owner, private, subdomain, tags, type, url)"),
        Arguments.of(
            "// @filter payload.repo.type == dataset",
            1,
            "\"payload.repo.type\" can never be in a v3 payload: the payload has no field"
                + " \"payload\" (it has comment, discussion, event, movedTo, repo, updatedConfig,"
                + " updatedRefs, webhook)"),
        Arguments.of(
            "// @filter repo.name.first == a",
            1,
            "\"repo.name.first\" can never be in a v3 payload: repo.name is a value, it has no"
                + " field \"first\""),
        Arguments.of(
            "// @filter repo.owner == acme",
            1,
            "\"repo.owner\" is an object, not a value: name one of its fields (repo.owner.id)"),
        Arguments.of(
            "// @filter updatedRefs == refs/heads/main",
            1,
            "\"updatedRefs\" is an object, not a value: name one of its fields"
                + " (updatedRefs.newSha, updatedRefs.oldSha, updatedRefs.ref)"),
        Arguments.of(
            "// @filter repo..name == a",
            1,
            "\"repo..name\" is not a path: write field names joined by dots, e.g. repo.name"),
        Arguments.of(
            "// @filter event.action in ,", 1, "@filter ... in needs values separated by commas"),
        Arguments.of(
            "# @concurrency",
            1,
            "@concurrency needs how many runs at once, e.g. @concurrency 1 key=repo.name"),
        Arguments.of(
            "# @concurrency 0",
            1,
            "\"0\" is not a number of runs from 1 to 1000, e.g. @concurrency 1 key=repo.name"),
        Arguments.of(
            "# @concurrency one key=repo.name",
            1,
            "\"one\" is not a number of runs from 1 to 1000, e.g. @concurrency 1 key=repo.name"),
        Arguments.of(
            "# @concurrency 1 per=repo.name",
            1,
            "\"per=repo.name\": @concurrency takes a number and key=PATH only, e.g. @concurrency 1"
                + " key=repo.name"),
        Arguments.of(
            "# @concurrency 1 key=repo.nam",
            1,
            "\"repo.nam\" can never be in a v3 payload: repo has no field \"nam\" (it has"
                + " headSha, id, name, owner, private, subdomain, tags, type, url)"),
        Arguments.of(
            "# @concurrency 1\n# @concurrency 2", 2, "@concurrency is already given on line 1"),
        Arguments.of(
            "# @debounce",
            1,
            "@debounce needs how long to wait, e.g. @debounce 30s key=repo.name max=10m"),
        Arguments.of(
            "# @debounce soon",
            1,
            "\"soon\" is not a duration: write it like 500ms, 30s, 10m or 1h"),
        Arguments.of(
            "# @debounce 0s", 1, "\"0s\" is not a duration: write it like 500ms, 30s, 10m or 1h"),
        Arguments.of(
            "# @debounce 30s max=1d",
            1,
            "\"1d\" is not a duration: write it like 500ms, 30s, 10m or 1h"),
        Arguments.of(
            "# @debounce 1m max=30s",
            1,
            "max=30s is shorter than the wait of 1m: make it longer, or leave it out"),
        Arguments.of(
            "# @debounce 30s by=repo.name",
            1,
            "\"by=repo.name\": @debounce takes a duration, key=PATH and max=DURATION only, e.g."
                + " @debounce 30s key=repo.name max=10m"),
        Arguments.of(
            "# @debounce 30s key=repository.name",
            1,
            "\"repository.name\" can never be in a v3 payload: the payload has no field"
                + " \"repository\" (it has comment, discussion, event, movedTo, repo, updatedConfig,"
                + " updatedRefs, webhook)"),
        Arguments.of("# @debounce 30s\n# @debounce 1m", 2, "@debounce is already given on line 1"));
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void aMalformedDirectiveNamesTheFileTheLineAndTheFix(String head, int line, String problem) {
    Directives.Declared declared = read("bad.js", head + "\nfunction handle() {}\n");

    assertThat(declared.watch()).isEmpty();
    assertThat(declared.flow()).isEqualTo(Flow.NONE);
    assertThat(declared.problem())
        .hasValueSatisfying(
            p -> {
              assertThat(p.line()).isEqualTo(line);
              assertThat(p.what()).isEqualTo(problem);
              assertThat(p.message())
                  .isEqualTo(dir.resolve("bad.js") + " line " + line + ": " + problem);
            });
  }
}
