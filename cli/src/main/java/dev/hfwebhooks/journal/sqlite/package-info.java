/**
 * The embedded journal: one SQLite file in the data dir, and serve's write-ahead log beside it.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.journal.sqlite;

import org.jspecify.annotations.NullMarked;
