/**
 * A handler's flow directives ({@code @filter}, {@code @concurrency}, {@code @debounce}), the
 * payload paths they name, and the lanes that hold runs to a limit.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.flow;

import org.jspecify.annotations.NullMarked;
