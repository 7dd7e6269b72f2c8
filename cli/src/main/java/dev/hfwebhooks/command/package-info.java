/**
 * The command line: {@code hf-webhooks} and its subcommands, their options, and what they print and
 * exit with.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.command;

import org.jspecify.annotations.NullMarked;
