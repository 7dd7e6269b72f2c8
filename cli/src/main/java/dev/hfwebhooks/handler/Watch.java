package dev.hfwebhooks.handler;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What a handler asks the Hub to send it: the users, organizations and repositories it watches
 * ({@code @watch}) and the event domains ({@code @domains}), as its directives declare them.
 *
 * @param items what is watched, in the order declared, at least one, no repeats
 * @param domains {@code repo}, {@code discussion} or both, in that order
 */
public record Watch(List<Item> items, List<String> domains) {
  /** The kinds of thing a Hub webhook can watch, spelled as the Hub's API spells them. */
  public static final List<String> TYPES = List.of("user", "org", "model", "dataset", "space");

  /**
   * The event domains, spelled as the Hub accepts them: huggingface_hub's {@code create_webhook}
   * documents {@code "repo"} and {@code "discussion"} (its {@code WEBHOOK_DOMAIN_T} hint says
   * "discussions", which the Hub's own API description does not list).
   */
  public static final List<String> DOMAINS = List.of("repo", "discussion");

  public Watch {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("a watch needs at least one item");
    }
    items = List.copyOf(items);
    domains = List.copyOf(domains);
  }

  /** One watched user, organization or repository: {@code model:acme/sentiment-model}. */
  public record Item(String type, String name) {
    @Override
    public String toString() {
      return type + ":" + name;
    }
  }

  /** {@code model:acme/x org:acme (repo, discussion)}: how {@code list} and the page show it. */
  public String describe() {
    return items.stream().map(Item::toString).collect(Collectors.joining(" "))
        + " ("
        + String.join(", ", domains)
        + ")";
  }
}
