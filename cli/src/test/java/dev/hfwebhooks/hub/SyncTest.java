package dev.hfwebhooks.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.handler.Watch;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The planner alone: what should be against what the Hub lists, no HTTP. */
class SyncTest {
  private static final String BASE = "https://acme-hooks.hf.space";
  private static final Watch BOTH = watch(Watch.DOMAINS, "model:acme/sentiment-model");

  private static Watch watch(List<String> domains, String... items) {
    return new Watch(
        Arrays.stream(items)
            .map(i -> i.split(":", 2))
            .map(p -> new Watch.Item(p[0], p[1]))
            .toList(),
        domains);
  }

  private static WebhookSpec spec(String name, Watch watch, String secret) {
    return WebhookSpec.of(BASE, name, Path.of("handlers", name + ".js"), watch, secret);
  }

  private static HubWebhook hub(String id, String url, Watch watch, String secret) {
    return new HubWebhook(id, url, watch.items(), watch.domains(), secret, true, null);
  }

  private static List<String> described(Sync.Plan plan) {
    return plan.steps().stream()
        .map(s -> s.getClass().getSimpleName() + " " + s.handler())
        .toList();
  }

  @Test
  void aHandlerWithoutAWebhookIsCreatedAndAMatchingOneIsKept() {
    Sync.Plan plan =
        Sync.plan(
            BASE,
            List.of(spec("push", BOTH, "s"), spec("review", BOTH, "s")),
            Set.of("push", "review"),
            List.of(hub("1", BASE + "/webhooks/review", BOTH, "s")),
            false);

    assertThat(described(plan)).containsExactly("Create push", "Keep review");
    assertThat(plan.changesNothing()).isFalse();
  }

  @Test
  void theOrderOfWatchedItemsAndDomainsOnTheHubIsNoChange() {
    Watch declared = watch(List.of("repo", "discussion"), "model:acme/a", "org:acme");
    Watch listed = watch(List.of("discussion", "repo"), "org:acme", "model:acme/a");

    Sync.Plan plan =
        Sync.plan(
            BASE,
            List.of(spec("push", declared, "s")),
            Set.of("push"),
            List.of(hub("1", BASE + "/webhooks/push", listed, "s")),
            false);

    assertThat(described(plan)).containsExactly("Keep push");
    assertThat(plan.changesNothing()).isTrue();
  }

  @Test
  void aChangedWatchDomainOrSecretIsAnUpdateThatSaysWhatChanged() {
    Watch before = watch(List.of("repo"), "model:acme/a");
    Watch after = watch(Watch.DOMAINS, "model:acme/b", "org:acme");

    Sync.Plan plan =
        Sync.plan(
            BASE,
            List.of(spec("push", after, "new-secret")),
            Set.of("push"),
            List.of(hub("1", BASE + "/webhooks/push", before, "old-secret")),
            false);

    assertThat(plan.steps()).hasSize(1);
    assertThat(plan.steps().getFirst())
        .isInstanceOfSatisfying(
            Sync.Update.class,
            u ->
                assertThat(u.changes())
                    .containsExactly(
                        "watched model:acme/a -> model:acme/b org:acme",
                        "domains repo -> repo, discussion",
                        "secret changed"));
  }

  @Test
  void noSecretGivenLeavesTheHubsSecretAloneAndAnEmptyOneRemovesIt() {
    HubWebhook current = hub("1", BASE + "/webhooks/push", BOTH, "kept");
    HubWebhook unshown =
        new HubWebhook(
            "2", BASE + "/webhooks/other", BOTH.items(), BOTH.domains(), null, false, null);

    assertThat(Sync.changes(current, spec("push", BOTH, null))).isEmpty();
    assertThat(Sync.changes(current, spec("push", BOTH, ""))).containsExactly("secret removed");
    assertThat(Sync.changes(unshown, spec("other", BOTH, "x")))
        .as("a secret the Hub does not show cannot be compared")
        .isEmpty();
  }

  @Test
  void webhooksOfOtherUrlsAreNeverTouchedEvenWithPrune() {
    Sync.Plan plan =
        Sync.plan(
            BASE,
            List.of(),
            Set.of(),
            List.of(
                hub("1", "https://other.example.com/webhooks/push", BOTH, null),
                hub("2", BASE + "/hooks/push", BOTH, null),
                hub("3", BASE + "-staging/webhooks/push", BOTH, null),
                new HubWebhook("4", null, BOTH.items(), BOTH.domains(), null, true, null)),
            true);

    assertThat(plan.steps()).isEmpty();
  }

  @Test
  void withoutPruneAWebhookNothingAsksForIsLeftAloneWithTheReason() {
    Sync.Plan plan =
        Sync.plan(
            BASE,
            List.of(),
            Set.of("quiet"),
            List.of(
                hub("1", BASE + "/webhooks/gone", BOTH, null),
                hub("2", BASE + "/webhooks/quiet", BOTH, null)),
            false);

    assertThat(plan.steps())
        .extracting(s -> ((Sync.Leave) s).why())
        .containsExactly("no handler named gone in the folder", "handler quiet declares no @watch");
    assertThat(plan.changesNothing()).isTrue();
  }

  @Test
  void pruneDeletesThemAndASecondWebhookForOneHandlerAfterCreatesAndUpdates() {
    Sync.Plan plan =
        Sync.plan(
            BASE,
            List.of(spec("push", BOTH, null), spec("new", BOTH, null)),
            Set.of("push", "new", "quiet"),
            List.of(
                hub("1", BASE + "/webhooks/gone", BOTH, null),
                hub("2", BASE + "/webhooks/push", BOTH, null),
                hub("3", BASE + "/webhooks/push", BOTH, null),
                hub("4", BASE + "/webhooks/quiet?secret=x", BOTH, null)),
            true);

    assertThat(described(plan))
        .containsExactly("Keep push", "Create new", "Delete push", "Delete gone", "Delete quiet");
    assertThat(plan.steps())
        .filteredOn(Sync.Delete.class::isInstance)
        .extracting(s -> ((Sync.Delete) s).current().id())
        .containsExactly("3", "1", "4");
  }

  @Test
  void eachStepIsOneLine() {
    WebhookSpec push = spec("push", BOTH, null);
    HubWebhook listed = hub("65a1", BASE + "/webhooks/push", BOTH, null);
    HubWebhook suspended =
        new HubWebhook(
            "65a2",
            BASE + "/webhooks/push",
            BOTH.items(),
            BOTH.domains(),
            null,
            true,
            "suspended-after-failure");

    assertThat(Sync.describe(new Sync.Create(push), listed, false))
        .isEqualTo(
            "created push: model:acme/sentiment-model (repo, discussion) -> "
                + BASE
                + "/webhooks/push [65a1]");
    assertThat(Sync.describe(new Sync.Create(push), null, true)).startsWith("would create push: ");
    assertThat(Sync.describe(new Sync.Keep(suspended, push), suspended, false))
        .endsWith(
            "[65a2]; suspended-after-failure on the Hub: enable it at"
                + " https://huggingface.co/settings/webhooks");
    assertThat(Sync.describe(new Sync.Delete(listed, "push", "why"), null, false))
        .isEqualTo("deleted push: " + BASE + "/webhooks/push (why) [65a1], already gone");
    assertThat(Sync.describe(new Sync.Leave(listed, "push", "why"), listed, false))
        .isEqualTo("left alone push: " + BASE + "/webhooks/push (why; --prune deletes it) [65a1]");
  }
}
