package dev.hfwebhooks.flow;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The flow control a handler file declares in its head comment: which deliveries it takes
 * ({@code @filter}), which of a burst run ({@code @debounce}) and how many of them run at once
 * ({@code @concurrency}).
 *
 * @param filters every {@code @filter} line, which must all hold
 * @param concurrency its {@code @concurrency}, or null for no limit
 * @param debounce its {@code @debounce}, or null: each delivery runs
 */
public record Flow(
    List<Filter> filters, @Nullable Concurrency concurrency, @Nullable Debounce debounce) {
  /** A handler that declares nothing: every delivery runs as it comes. */
  public static final Flow NONE = new Flow(List.of(), null, null);

  public Flow {
    filters = List.copyOf(filters);
  }

  /** Whether a delivery needs its payload read as JSON to be let through. */
  public boolean readsPayload() {
    return !filters.isEmpty() || concurrency != null || debounce != null;
  }

  /** The first filter {@code payload} fails, or empty when it passes them all. */
  public Optional<Filter> failed(JsonNode payload) {
    return filters.stream().filter(f -> !f.holds(payload)).findFirst();
  }

  /** One line per directive, as written, for {@code list} and the console. */
  public List<String> describe() {
    List<String> lines = new java.util.ArrayList<>();
    filters.forEach(f -> lines.add("@filter " + f.text()));
    if (debounce != null) {
      lines.add(debounce.describe());
    }
    if (concurrency != null) {
      lines.add(concurrency.describe());
    }
    return lines;
  }
}
