/**
 * The program's entry point, {@link dev.hfwebhooks.Main}; everything else is in the packages below
 * it, which this {@code @NullMarked} does not cover (each says so in its own package-info.java).
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks;

import org.jspecify.annotations.NullMarked;
