/**
 * Handlers: finding them in a folder, reading their directives, and running a delivery in one (a
 * process, a JavaScript context, a Python worker), timed and capped, as an {@link
 * dev.hfwebhooks.handler.Outcome}.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.handler;

import org.jspecify.annotations.NullMarked;
