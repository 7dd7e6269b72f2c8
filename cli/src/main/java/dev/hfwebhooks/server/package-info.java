/**
 * {@code serve}'s HTTP side: the webhook routes and their checks (route, secret, body), the console
 * with its landing page and journal endpoints, and the server's log.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.server;

import org.jspecify.annotations.NullMarked;
