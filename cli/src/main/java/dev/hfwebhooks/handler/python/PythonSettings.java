package dev.hfwebhooks.handler.python;

import java.time.Duration;

/**
 * How a Python handler file's pool of workers behaves.
 *
 * @param maxWorkers the most workers one file runs at once (deliveries beyond wait for one)
 * @param maxDeliveries a worker is replaced after this many deliveries; 0: never
 * @param maxMemoryBytes a worker is replaced once its resident memory passes this; 0: never
 * @param idleAfter a worker beyond the first that has had no delivery for this long leaves
 * @param importTimeout an import that takes longer is taken for hung: the worker is ended and the
 *     import tried again after a back-off (generous: loading a model may take minutes)
 */
public record PythonSettings(
    int maxWorkers,
    long maxDeliveries,
    long maxMemoryBytes,
    Duration idleAfter,
    Duration importTimeout) {
  public static final PythonSettings DEFAULT =
      new PythonSettings(4, 0, 0, Duration.ofSeconds(60), Duration.ofMinutes(10));

  public PythonSettings {
    if (maxWorkers < 1) {
      throw new IllegalArgumentException("at least one Python worker is needed, not " + maxWorkers);
    }
    if (maxDeliveries < 0 || maxMemoryBytes < 0) {
      throw new IllegalArgumentException("recycling limits cannot be negative");
    }
  }

  /** These limits, with the defaults' idle time and import timeout. */
  public static PythonSettings of(int maxWorkers, long maxDeliveries, long maxMemoryBytes) {
    return new PythonSettings(
        maxWorkers, maxDeliveries, maxMemoryBytes, DEFAULT.idleAfter(), DEFAULT.importTimeout());
  }
}
