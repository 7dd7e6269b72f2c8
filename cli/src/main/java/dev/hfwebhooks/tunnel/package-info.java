/**
 * {@code serve --tunnel}: the tunnel client as a child process, and finding its public URL in what
 * it prints.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.tunnel;

import org.jspecify.annotations.NullMarked;
