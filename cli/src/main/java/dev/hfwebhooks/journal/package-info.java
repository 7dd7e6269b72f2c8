/**
 * The delivery journal's contract, the {@code --async} queue, its retry policy and claims.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.journal;

import org.jspecify.annotations.NullMarked;
