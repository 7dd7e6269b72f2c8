package dev.hfwebhooks.journal;

import java.time.Instant;

/**
 * One run of a delivery through its handler.
 *
 * @param number 1 for the first attempt
 * @param trigger what started it
 * @param started when it started
 * @param status {@code running} while it runs (or if the server died during it), then its result
 * @param exitStatus the process's exit status, or null
 * @param durationMs how long it ran, or null while running
 * @param error its error line, or null
 */
public record Attempt(
    int number,
    Trigger trigger,
    Instant started,
    Status status,
    Integer exitStatus,
    Long durationMs,
    String error) {}
