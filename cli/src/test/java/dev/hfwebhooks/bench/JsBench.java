package dev.hfwebhooks.bench;

import dev.hfwebhooks.handler.Delivery;
import dev.hfwebhooks.handler.DeliveryRunner;
import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.handler.HandlerScan;
import dev.hfwebhooks.handler.Handlers;
import dev.hfwebhooks.handler.Outcome;
import dev.hfwebhooks.payload.PayloadParser;
import dev.hfwebhooks.payload.WebhookPayload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the JavaScript runtime through the same path serve uses: the cost of a delivery that
 * needs a new context, of a delivery on a warm context, and throughput with 16 deliveries at once.
 * A benchmark, not a test: run by bench/js.sh, which compares the interpreter with the optimizing
 * runtime side by side.
 *
 * <p>Arguments: payload file, seconds for the throughput run.
 */
public final class JsBench {
  private static final String HANDLER =
      """
      function handle(payload, context) {
        const main = (payload.updatedRefs || []).find((r) => r.ref === "refs/heads/main");
        return { repo: payload.repo.name, sha: main ? main.newSha : null, id: context.deliveryId };
      }
      """;

  public static void main(String[] args) throws Exception {
    byte[] body = Files.readAllBytes(Path.of(args[0]));
    int seconds = Integer.parseInt(args[1]);
    WebhookPayload payload = PayloadParser.parse(body);
    Path dir = Files.createTempDirectory("js-bench");
    Path file = dir.resolve("bench.js");
    Files.writeString(file, HANDLER);

    try (Handlers handlers = new Handlers(HandlerScan.of(dir))) {
      Handler handler = handlers.find("bench").orElseThrow();

      // New context: each edit of the file makes the next delivery parse, create and evaluate.
      long[] fresh = new long[30];
      for (int i = 0; i < fresh.length; i++) {
        Files.writeString(file, HANDLER + "// edit " + i + "\n");
        fresh[i] = timeOne(handler, body, payload);
      }
      Files.writeString(file, HANDLER);

      // Warm: one thread, one pooled context.
      for (int i = 0; i < 5_000; i++) {
        timeOne(handler, body, payload);
      }
      long[] warm = new long[5_000];
      for (int i = 0; i < warm.length; i++) {
        warm[i] = timeOne(handler, body, payload);
      }

      // Throughput: 16 threads (wrk's 16 connections) for the given time, after a warm-up.
      double perSecond = 0;
      for (int round = 0; round < 2; round++) {
        perSecond =
            throughput(handler, body, payload, round == 0 ? Math.max(1, seconds / 2) : seconds);
      }

      System.out.printf(
          "runtime=%s%nnew-context median=%.2f ms p90=%.2f ms%nwarm median=%.1f us p99=%.1f us%n"
              + "throughput-16-threads=%.0f deliveries/s%n",
          System.getProperty("bench.runtime", "?"),
          percentile(fresh, 50) / 1e6,
          percentile(fresh, 90) / 1e6,
          percentile(warm, 50) / 1e3,
          percentile(warm, 99) / 1e3,
          perSecond);
    }
  }

  private static long timeOne(Handler handler, byte[] body, WebhookPayload payload) {
    long start = System.nanoTime();
    Outcome outcome = DeliveryRunner.run(handler, delivery(body, payload));
    long took = System.nanoTime() - start;
    if (!outcome.succeeded()) {
      throw new IllegalStateException(outcome.error());
    }
    return took;
  }

  private static Delivery delivery(byte[] body, WebhookPayload payload) {
    return new Delivery(
        Delivery.newId(), body, payload, Map.of(), Duration.ofSeconds(30), line -> {});
  }

  private static double throughput(
      Handler handler, byte[] body, WebhookPayload payload, int seconds)
      throws InterruptedException {
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long start = System.nanoTime();
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      for (int t = 0; t < 16; t++) {
        // execute, not submit: a run that throws shows, instead of silently counting less
        pool.execute(
            () -> {
              while (System.nanoTime() < end) {
                timeOne(handler, body, payload);
                done.incrementAndGet();
              }
            });
      }
    }
    return done.get() / ((System.nanoTime() - start) / 1e9);
  }

  private static double percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }
}
