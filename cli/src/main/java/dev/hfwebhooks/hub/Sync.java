package dev.hfwebhooks.hub;

import dev.hfwebhooks.handler.Watch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Brings the Hub's webhooks in line with a folder's handlers: {@link #plan} compares what should be
 * ({@link WebhookSpec}s) with what the Hub lists and decides, without any call; {@link #apply}
 * carries the plan out. The webhooks it manages are those whose URL is under {@code
 * BASE/webhooks/}; any other webhook of the user is never touched.
 */
public final class Sync {
  private Sync() {}

  /** One thing to do, or to leave, on the Hub. */
  public sealed interface Step {
    /** The handler name the webhook's URL ends with. */
    String handler();
  }

  /** No webhook posts to this handler yet. */
  public record Create(WebhookSpec spec) implements Step {
    @Override
    public String handler() {
      return spec.handler();
    }
  }

  /**
   * The handler's webhook differs from its directives (or its secret does); {@code changes} says
   * how.
   */
  public record Update(HubWebhook current, WebhookSpec spec, List<String> changes) implements Step {
    @Override
    public String handler() {
      return spec.handler();
    }
  }

  /** The handler's webhook is as it should be. */
  public record Keep(HubWebhook current, WebhookSpec spec) implements Step {
    @Override
    public String handler() {
      return spec.handler();
    }
  }

  /** A webhook under BASE/webhooks/ that nothing asks for: kept, since --prune was not given. */
  public record Leave(HubWebhook current, String handler, String why) implements Step {}

  /** A webhook under BASE/webhooks/ that nothing asks for, deleted with --prune. */
  public record Delete(HubWebhook current, String handler, String why) implements Step {}

  /** The steps in the order they run: creates and updates first, deletes last. */
  public record Plan(String baseUrl, List<Step> steps) {
    public Plan {
      steps = List.copyOf(steps);
    }

    /** True when carrying the plan out would call the Hub for nothing. */
    public boolean changesNothing() {
      return steps.stream().allMatch(s -> s instanceof Keep || s instanceof Leave);
    }
  }

  /**
   * Decides what to do.
   *
   * @param baseUrl the public base URL, without a trailing slash
   * @param desired one spec per handler that declares {@code @watch}
   * @param handlers the names of every handler in the folder, watching or not
   * @param existing the user's webhooks, as the Hub lists them
   * @param prune whether webhooks under the base that nothing asks for are deleted
   */
  public static Plan plan(
      String baseUrl,
      List<WebhookSpec> desired,
      Set<String> handlers,
      List<HubWebhook> existing,
      boolean prune) {
    String prefix = baseUrl + "/webhooks/";
    Map<String, List<HubWebhook>> ours = new LinkedHashMap<>();
    for (HubWebhook webhook : existing) {
      if (webhook.url() != null && webhook.url().startsWith(prefix)) {
        String name = webhook.url().substring(prefix.length()).split("[?#]", 2)[0];
        ours.computeIfAbsent(name, n -> new ArrayList<>()).add(webhook);
      }
    }
    List<Step> main = new ArrayList<>();
    List<Step> leave = new ArrayList<>();
    List<Step> delete = new ArrayList<>();
    Set<String> wanted = new HashSet<>();
    for (WebhookSpec spec : desired) {
      wanted.add(spec.handler());
      List<HubWebhook> found = ours.getOrDefault(spec.handler(), List.of());
      if (found.isEmpty()) {
        main.add(new Create(spec));
        continue;
      }
      HubWebhook current = found.getFirst();
      List<String> changes = changes(current, spec);
      main.add(changes.isEmpty() ? new Keep(current, spec) : new Update(current, spec, changes));
      // Only ever one webhook per handler: a second one would deliver every event twice.
      for (HubWebhook extra : found.subList(1, found.size())) {
        String why = "a second webhook for " + spec.handler();
        if (prune) {
          delete.add(new Delete(extra, spec.handler(), why));
        } else {
          leave.add(new Leave(extra, spec.handler(), why));
        }
      }
    }
    ours.forEach(
        (name, found) -> {
          if (wanted.contains(name)) {
            return;
          }
          String why =
              handlers.contains(name)
                  ? "handler " + name + " declares no @watch"
                  : "no handler named " + name + " in the folder";
          for (HubWebhook webhook : found) {
            if (prune) {
              delete.add(new Delete(webhook, name, why));
            } else {
              leave.add(new Leave(webhook, name, why));
            }
          }
        });
    List<Step> steps = new ArrayList<>(main);
    steps.addAll(leave);
    steps.addAll(delete);
    return new Plan(baseUrl, steps);
  }

  /** How the Hub's webhook differs from the spec, in words; empty when it does not. */
  static List<String> changes(HubWebhook current, WebhookSpec spec) {
    List<String> changes = new ArrayList<>();
    if (!spec.url().equals(current.url())) {
      changes.add("url " + current.url() + " -> " + spec.url());
    }
    // The Hub may list them in another order; only what is watched matters.
    if (!Set.copyOf(current.watched()).equals(Set.copyOf(spec.watch().items()))) {
      changes.add("watched " + items(current.watched()) + " -> " + items(spec.watch().items()));
    }
    if (!Set.copyOf(current.domains()).equals(Set.copyOf(spec.watch().domains()))) {
      changes.add(
          "domains "
              + String.join(", ", current.domains())
              + " -> "
              + String.join(", ", spec.watch().domains()));
    }
    // A Hub that does not show secrets cannot be compared; sending it anyway every time would
    // make every sync an update.
    if (spec.managesSecret()
        && current.secretShown()
        && !Objects.equals(current.secret(), spec.secretValue())) {
      changes.add(
          spec.secretValue() == null
              ? "secret removed"
              : current.secret() == null ? "secret added" : "secret changed");
    }
    return changes;
  }

  private static String items(List<Watch.Item> items) {
    return items.isEmpty()
        ? "nothing"
        : items.stream().map(Watch.Item::toString).collect(Collectors.joining(" "));
  }

  /** What {@link #apply} did, step by step. */
  public interface Progress {
    /**
     * Called after each step; {@code result} is the Hub's webhook after a create or update, the
     * current one otherwise, and null for a delete of a webhook already gone.
     */
    void done(Step step, @Nullable HubWebhook result);
  }

  /** How many of each kind of step were carried out. */
  public record Summary(int created, int updated, int unchanged, int leftAlone, int deleted) {
    @Override
    public String toString() {
      return "%d created, %d updated, %d unchanged, %d left alone, %d deleted"
          .formatted(created, updated, unchanged, leftAlone, deleted);
    }
  }

  /**
   * Carries {@code plan} out in order, stopping at the first failure with a {@link
   * PartialSyncException} that says what was and was not done.
   */
  public static Summary apply(Plan plan, HubClient hub, Progress progress)
      throws PartialSyncException {
    int created = 0;
    int updated = 0;
    int unchanged = 0;
    int leftAlone = 0;
    int deleted = 0;
    List<Step> done = new ArrayList<>();
    for (Step step : plan.steps()) {
      HubWebhook result;
      try {
        switch (step) {
          case Create c -> {
            result = hub.create(c.spec());
            created++;
          }
          case Update u -> {
            result = hub.update(u.current(), u.spec());
            updated++;
          }
          case Keep k -> {
            result = k.current();
            unchanged++;
          }
          case Leave l -> {
            result = l.current();
            leftAlone++;
          }
          case Delete d -> {
            result = hub.delete(d.current().id()) ? d.current() : null;
            deleted++;
          }
        }
      } catch (HubException e) {
        List<Step> notDone =
            plan.steps().subList(plan.steps().indexOf(step), plan.steps().size()).stream()
                .filter(s -> !(s instanceof Keep || s instanceof Leave))
                .toList();
        throw new PartialSyncException(e, done, notDone);
      }
      if (!(step instanceof Keep || step instanceof Leave)) {
        done.add(step);
      }
      progress.done(step, result);
    }
    return new Summary(created, updated, unchanged, leftAlone, deleted);
  }

  /**
   * One line for a step: {@code created push-to-main: model:acme/x (repo, discussion) -> URL [id]}.
   * With {@code planned}, what would be done ({@code would create ...}).
   */
  public static String describe(Step step, @Nullable HubWebhook result, boolean planned) {
    String disabled =
        result != null && !result.enabled()
            ? "; " + result.disabled() + " on the Hub: enable it at " + HubClient.SETTINGS_URL
            : "";
    return switch (step) {
      case Create c ->
          "%s %s: %s -> %s%s"
              .formatted(
                  planned ? "would create" : "created",
                  c.handler(),
                  c.spec().watch().describe(),
                  c.spec().url(),
                  result != null ? " [" + result.id() + "]" : "");
      case Update u ->
          "%s %s: %s [%s]%s"
              .formatted(
                  planned ? "would update" : "updated",
                  u.handler(),
                  String.join("; ", u.changes()),
                  u.current().id(),
                  disabled);
      case Keep k ->
          "unchanged %s: %s -> %s [%s]%s"
              .formatted(
                  k.handler(),
                  k.spec().watch().describe(),
                  k.spec().url(),
                  k.current().id(),
                  disabled);
      case Leave l ->
          "left alone %s: %s (%s; --prune deletes it) [%s]"
              .formatted(l.handler(), l.current().url(), l.why(), l.current().id());
      case Delete d ->
          "%s %s: %s (%s) [%s]%s"
              .formatted(
                  planned ? "would delete" : "deleted",
                  d.handler(),
                  d.current().url(),
                  d.why(),
                  d.current().id(),
                  !planned && result == null ? ", already gone" : "");
    };
  }

  /** A short phrase for a step in a partial sync's message: "create push-to-main". */
  public static String verb(Step step, boolean done) {
    String what =
        switch (step) {
          case Create c -> done ? "created" : "create";
          case Update u -> done ? "updated" : "update";
          case Delete d -> done ? "deleted" : "delete";
          case Keep k -> "unchanged";
          case Leave l -> "left alone";
        };
    return what + " " + step.handler();
  }
}
