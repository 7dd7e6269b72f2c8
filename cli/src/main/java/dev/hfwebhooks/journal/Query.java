package dev.hfwebhooks.journal;

import org.jspecify.annotations.Nullable;

/**
 * Which deliveries to list, newest first.
 *
 * @param handler only this handler's, or null for all
 * @param status only those in this state, or null for all
 * @param limit at most this many
 */
public record Query(@Nullable String handler, @Nullable Status status, int limit) {
  public Query {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be at least 1, not " + limit);
    }
  }

  /** The newest {@code limit} deliveries of every handler. */
  public static Query newest(int limit) {
    return new Query(null, null, limit);
  }
}
