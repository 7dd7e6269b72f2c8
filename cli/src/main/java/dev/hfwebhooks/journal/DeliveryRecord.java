package dev.hfwebhooks.journal;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Everything the journal holds about one delivery.
 *
 * @param summary its list line
 * @param body the request body exactly as received
 * @param headers the request headers, lower-case, without the secret
 * @param output the tail of what the latest attempt printed on stdout or returned, or null
 * @param stderr the tail of what the latest attempt wrote to stderr or the console, or null
 * @param attempts every attempt, first first
 */
@SuppressWarnings("ArrayRecordComponent") // bytes carried, never compared by equals
public record DeliveryRecord(
    DeliverySummary summary,
    byte[] body,
    Map<String, String> headers,
    @Nullable String output,
    @Nullable String stderr,
    List<Attempt> attempts) {

  public DeliveryRecord {
    headers = Map.copyOf(headers);
    attempts = List.copyOf(attempts);
  }

  public String id() {
    return summary.id();
  }

  public String handler() {
    return summary.handler();
  }
}
