/**
 * {@code .py} handlers: the Python that runs them, scanning a file for its routes, and the pools of
 * warm worker processes that run their deliveries.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.handler.python;

import org.jspecify.annotations.NullMarked;
