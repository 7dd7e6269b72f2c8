/**
 * A webhook request body as the Hub's v3 payload: the one JSON mapper, the parser that reports
 * every bad field at once, and the payload's records.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.payload;

import org.jspecify.annotations.NullMarked;
