/**
 * {@code deploy}: a handlers folder as a Hugging Face Space, its files, secrets, build and webhook.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.deploy;

import org.jspecify.annotations.NullMarked;
