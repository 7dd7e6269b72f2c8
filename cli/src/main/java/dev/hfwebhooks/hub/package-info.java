/**
 * The Hugging Face Hub: its token, the webhook settings API, Spaces' files, secrets and builds, and
 * syncing a handlers folder's webhooks to it.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.hub;

import org.jspecify.annotations.NullMarked;
