/**
 * The shared journal: one PostgreSQL database that several serves use at once, with leases.
 *
 * <p>Null-marked: a type that may be null says {@code @Nullable}, and NullAway checks it at compile
 * time (README, "Building from source").
 */
@NullMarked
package dev.hfwebhooks.journal.postgres;

import org.jspecify.annotations.NullMarked;
