package dev.hfwebhooks.deploy;

import dev.hfwebhooks.hub.HubException;
import dev.hfwebhooks.hub.SpaceApi;
import dev.hfwebhooks.hub.SpaceId;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Follows a Space's runtime ({@code GET /api/spaces/{id}/runtime}) until it runs what was just
 * deployed, printing each stage once on one line: {@code building, starting, running (1 min 12 s)}.
 * A stage the Space cannot leave by itself ends the wait with a {@link Failed} that carries the
 * build log's tail.
 */
final class SpaceBuild {
  /**
   * How long a Space that does not say which commit it runs may still show its old state after a
   * commit before that state counts as the new one.
   */
  static final Duration SETTLE = Duration.ofSeconds(20);

  /** The Space stopped in a stage that needs the user; {@code log} is the build log's tail. */
  static final class Failed extends Exception {
    final List<String> log;

    Failed(String message, List<String> log) {
      super(message);
      this.log = log;
    }
  }

  private final SpaceApi api;
  private final SpaceId space;
  private final String page;
  private final PrintWriter out;
  private final Duration pollEvery;
  private final Duration timeout;

  SpaceBuild(
      SpaceApi api,
      SpaceId space,
      String page,
      PrintWriter out,
      Duration pollEvery,
      Duration timeout) {
    this.api = api;
    this.space = space;
    this.page = page;
    this.out = out;
    this.pollEvery = pollEvery;
    this.timeout = timeout;
  }

  /**
   * Waits until the Space runs. {@code commit} is the commit just made (null for none); {@code
   * restarts} says a change (a commit or a new secret) makes the Space build or restart, so a state
   * seen before that began is not the answer yet.
   */
  SpaceApi.Runtime await(@Nullable String commit, boolean restarts) throws HubException, Failed {
    long start = System.nanoTime();
    boolean moved = false;
    String shown = null;
    out.print("Building... ");
    out.flush();
    while (true) {
      SpaceApi.Runtime runtime = api.runtime(space);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      moved |= runtime.inProgress();
      boolean current =
          !restarts
              || ((commit != null && runtime.sha() != null)
                  ? runtime.sha().equals(commit)
                  : (moved || elapsed.compareTo(SETTLE) > 0));
      if (current || runtime.inProgress()) {
        String phrase = phrase(runtime.stage());
        if (!phrase.equals(shown)) {
          out.print((shown == null ? "" : ", ") + phrase);
          out.flush();
          shown = phrase;
        }
        if (runtime.running()) {
          out.println(" (" + took(elapsed) + ")");
          out.flush();
          return runtime;
        }
        if (runtime.stage().equals("SLEEPING")) {
          // A request wakes it: the Hub's first delivery will.
          out.println(" (the first request wakes it)");
          out.flush();
          return runtime;
        }
        if (runtime.failed()) {
          out.println();
          out.flush();
          String why = runtime.errorMessage() == null ? "" : ": " + runtime.errorMessage();
          throw new Failed(
              "the Space %s %s (%s%s); fix it and deploy again, the whole log is at %s?logs=%s"
                  .formatted(
                      space,
                      runtime.stage().equals("BUILD_ERROR") ? "failed to build" : "failed to start",
                      runtime.stage(),
                      why,
                      page,
                      runtime.stage().equals("BUILD_ERROR") ? "build" : "container"),
              api.buildLog(space, 20, Duration.ofSeconds(5)));
        }
        if (!runtime.inProgress()) {
          out.println();
          out.flush();
          throw new Failed(
              "the Space %s is %s: restart it from its page, %s, then deploy again"
                  .formatted(space, runtime.stage(), page),
              List.of());
        }
      }
      if (elapsed.compareTo(timeout) > 0) {
        out.println(", gave up");
        out.flush();
        throw new Failed(
            "the Space %s is still %s after %s: follow it at %s, and run deploy again to register"
                    .formatted(space, runtime.stage(), took(timeout), page)
                + " its webhooks once it runs",
            List.of());
      }
      try {
        Thread.sleep(pollEvery);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Failed("stopped while waiting for the Space " + space + " to build", List.of());
      }
    }
  }

  private static String phrase(String stage) {
    return switch (stage) {
      case "BUILDING", "RUNNING_BUILDING" -> "building";
      case "APP_STARTING", "RUNNING_APP_STARTING" -> "starting";
      case "RUNNING" -> "running";
      case "SLEEPING" -> "sleeping";
      case "BUILD_ERROR" -> "build failed";
      case "RUNTIME_ERROR" -> "failed to start";
      default -> stage.toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    };
  }

  /** "12 s", "1 min 12 s". */
  static String took(Duration elapsed) {
    long seconds = elapsed.toSeconds();
    return seconds < 60
        ? seconds + " s"
        : seconds / 60 + " min" + (seconds % 60 == 0 ? "" : " " + seconds % 60 + " s");
  }
}
