package dev.hfwebhooks.handler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.flow.Concurrency;
import dev.hfwebhooks.flow.Debounce;
import dev.hfwebhooks.flow.Filter;
import dev.hfwebhooks.flow.Flow;
import dev.hfwebhooks.testing.Gen;
import dev.hfwebhooks.testing.Generated;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Generated handler heads through the directive parser: every directive, well formed, nearly so, or
 * noise. A head gives what it declares or one problem on a line of the head, never an exception;
 * and what it declares works on any payload.
 */
class DirectivesPropertiesTest {
  private static final HandlerFile FILE =
      new HandlerFile("h", HandlerKind.SHELL, Path.of("handlers", "h.sh"));

  private static final List<JsonNode> SAMPLES = Gen.samplePayloads();

  /** Words that directives take, right or nearly right, so most lines get far into a parser. */
  private static final List<String> PATHS =
      List.of(
          "repo.name",
          "repo.type",
          "repo.tags",
          "repo.owner.id",
          "event.action",
          "event.scope",
          "updatedRefs.ref",
          "updatedConfig",
          "updatedConfig.x.y",
          "discussion.isPullRequest",
          "comment.content",
          "movedTo.owner",
          "repo",
          "repo..name",
          ".repo",
          "repo.",
          "x",
          "repo.url.web.x",
          "discussion.changes",
          "webhook.version",
          "");

  private static final List<String> WATCH_WORDS =
      List.of(
          "model:acme/x",
          "dataset:acme/reviews",
          "space:acme/demo",
          "org:acme",
          "user:julien-c",
          "model:gpt2",
          "space:gpt2",
          "org:acme/x",
          "MODEL:acme/x",
          "model:",
          ":x",
          "model",
          "models:acme/x",
          "model:acme/x/y",
          "model:-acme/x",
          "model:acme/" + "a".repeat(100));

  private static final List<String> DURATIONS =
      List.of(
          "0",
          "1",
          "500ms",
          "30s",
          "10m",
          "1h",
          "999999999h",
          "1000000000",
          "5x",
          "-1",
          "1.5s",
          "30S",
          "",
          "ms");

  private static final List<String> KEYWORDS =
      List.of(
          "@watch",
          "@domains",
          "@filter",
          "@concurrency",
          "@debounce",
          "@WATCH",
          "@Filter",
          "@other",
          "@debounce:",
          "@");

  /** Well-formed lines, so that whole heads are valid often enough to reach what they declare. */
  private static final List<String> VALID =
      List.of(
          "@watch model:acme/x org:acme",
          "@domains repo",
          "@filter repo.type == dataset",
          "@filter event.action in create,update",
          "@filter repo.name ~ acme/*",
          "@filter updatedRefs.ref != refs/heads/main",
          "@concurrency 1",
          "@concurrency 3 key=repo.name",
          "@debounce 30s",
          "@debounce 500ms key=repo.name max=10m",
          "@debounce 1h max=1h");

  private static String directive(Random r) {
    if (r.nextInt(3) == 0) {
      return Gen.oneOf(r, "# ", "// ", "-- ", " * ") + Gen.oneOf(r, VALID);
    }
    String keyword = Gen.oneOf(r, KEYWORDS);
    String args =
        switch (keyword.toLowerCase(Locale.ROOT)) {
          case "@watch" -> Gen.words(r, WATCH_WORDS, 4);
          case "@domains" -> Gen.words(r, List.of("repo", "discussion", "REPO", "both", ""), 3);
          case "@filter" ->
              String.join(
                  Gen.oneOf(r, " ", "  ", "\t", ""),
                  Gen.oneOf(r, PATHS),
                  Gen.oneOf(r, "==", "!=", "in", "~", "=", "IN", ""),
                  Gen.words(
                      r,
                      List.of("dataset", "acme/*", "a,b,,c", "*", ",", "refs/heads/main", "\\Q"),
                      3));
          case "@concurrency" ->
              Gen.words(
                  r,
                  List.of(
                      "1",
                      "0",
                      "100",
                      "1000000",
                      "2147483648",
                      "-3",
                      "key=repo.name",
                      "key=",
                      "key=repo",
                      "key=x",
                      "max=1"),
                  3);
          case "@debounce" ->
              Gen.words(
                  r,
                  List.of(
                      Gen.oneOf(r, DURATIONS),
                      "key=" + Gen.oneOf(r, PATHS),
                      "max=" + Gen.oneOf(r, DURATIONS),
                      "x=1"),
                  4);
          default -> Gen.text(r, 20);
        };
    String comment = Gen.oneOf(r, "# ", "// ", "-- ", "/* ", " * ", "### ", "#", "//", "* ", "");
    return comment
        + keyword
        + Gen.oneOf(r, " ", "  ", "\t", "")
        + args
        + (comment.startsWith("/*") && r.nextBoolean() ? " */" : "");
  }

  private static List<String> head(Random r) {
    return head(r, 24);
  }

  private static List<String> head(Random r, int maxLines) {
    List<String> lines = new ArrayList<>();
    for (int i = r.nextInt(maxLines + 1); i > 0; i--) {
      lines.add(r.nextInt(6) == 0 ? Gen.text(r, 40) : directive(r));
    }
    return lines;
  }

  /** A head shrinks by losing lines, then by shortening each. */
  private static List<List<String>> smaller(List<String> lines) {
    List<List<String>> candidates = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      List<String> fewer = new ArrayList<>(lines);
      fewer.remove(i);
      candidates.add(fewer);
    }
    for (int i = 0; i < lines.size(); i++) {
      for (String shorter : Generated.shrinkText(lines.get(i))) {
        List<String> changed = new ArrayList<>(lines);
        changed.set(i, shorter);
        candidates.add(changed);
      }
    }
    return candidates;
  }

  @Test
  void anyHeadGivesWhatItDeclaresOrOneProblemOnOneOfItsLines() {
    Generated.forAll(
        DirectivesPropertiesTest::head,
        DirectivesPropertiesTest::smaller,
        lines -> {
          Directives.Declared declared = Directives.parse(FILE, lines);

          if (declared.problem().isPresent()) {
            Directives.Problem problem = declared.problem().get();
            assertThat(problem.line()).isBetween(1, Math.min(lines.size(), Directives.MAX_LINES));
            assertThat(problem.what()).isNotBlank();
            assertThat(declared.flow()).isEqualTo(Flow.NONE);
            assertThat(declared.watch()).isEmpty();
          } else {
            declared.watch().ifPresent(w -> assertThat(w.items()).isNotEmpty());
          }
        });
  }

  @Test
  void whatAHeadDeclaresWorksOnAnyPayloadAndReadsBackTheSame() {
    AtomicInteger filters = new AtomicInteger();
    AtomicInteger debounces = new AtomicInteger();
    AtomicInteger concurrencies = new AtomicInteger();
    Generated.forAll(
        (Random r) -> {
          List<String> lines = head(r, 4); // short heads: each bad line spoils the whole head
          JsonNode payload =
              r.nextInt(3) == 0 ? Gen.json(r, 4) : Gen.mutate(r, Gen.oneOf(r, SAMPLES));
          return new Object[] {lines, payload};
        },
        input -> {
          @SuppressWarnings("unchecked")
          List<String> lines = (List<String>) input[0];
          JsonNode payload = (JsonNode) input[1];
          Directives.Declared declared = Directives.parse(FILE, lines);
          Flow flow = declared.flow();

          for (Filter filter : flow.filters()) {
            filters.incrementAndGet();
            filter.holds(payload);
            assertThat(Filter.parse(filter.text(), filter.line())).isEqualTo(filter);
          }
          if (flow.debounce() != null) {
            debounces.incrementAndGet();
            Debounce debounce = flow.debounce();
            assertThat(debounce.keyOf(payload)).isNotNull();
            String again = debounce.describe().substring("@debounce ".length());
            assertThat(Debounce.parse(again, debounce.line())).isEqualTo(debounce);
          }
          if (flow.concurrency() != null) {
            concurrencies.incrementAndGet();
            String again = flow.concurrency().describe().substring("@concurrency ".length());
            assertThat(Concurrency.parse(again, flow.concurrency().line()))
                .isEqualTo(flow.concurrency());
          }
        });
    // The generator must reach the parsers' valid side too, or the property says little.
    if (Generated.TRIES >= Generated.DEFAULT_TRIES) {
      assertThat(filters.get()).as("valid @filter lines generated").isPositive();
      assertThat(debounces.get()).as("valid @debounce lines generated").isPositive();
      assertThat(concurrencies.get()).as("valid @concurrency lines generated").isPositive();
    }
  }
}
