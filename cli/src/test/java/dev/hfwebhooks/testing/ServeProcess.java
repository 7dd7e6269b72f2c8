package dev.hfwebhooks.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code hf-webhooks serve} as a process of its own, run from the classes under test: what a test
 * needs to kill one server with SIGKILL while others go on.
 */
public final class ServeProcess implements AutoCloseable {
  private static final Pattern URL = Pattern.compile("Running on local URL: (http://\\S+)");

  private final Process process;
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile String url;

  private ServeProcess(Process process) {
    this.process = process;
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  lines.add(line);
                  Matcher m = URL.matcher(line);
                  if (url == null && m.find()) {
                    url = m.group(1);
                    started.countDown();
                  }
                }
              } catch (IOException e) {
                // Killed: its output ends here.
              } finally {
                started.countDown(); // ended without saying where it listens
              }
            });
  }

  /**
   * Starts {@code serve --port 0} with {@code options} and the environment {@code env} added, and
   * waits until it says where it listens.
   */
  public static ServeProcess start(Map<String, String> env, String... options) throws IOException {
    return launch(env, options).awaitReady();
  }

  /** Starts serve as {@link #start} does, without waiting: {@link #log} shows it starting. */
  public static ServeProcess launch(Map<String, String> env, String... options) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.hfwebhooks.Main"));
    command.addAll(List.of("serve", "--port", "0"));
    command.addAll(List.of(options));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    return new ServeProcess(builder.start());
  }

  /** Waits (at most 3 minutes) until it says where it listens; fails with its output if not. */
  public ServeProcess awaitReady() {
    try {
      started.await(3, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (url == null) {
      throw new IllegalStateException("serve did not start:\n" + log());
    }
    return this;
  }

  /** Its local base URL. */
  public String url() {
    return url;
  }

  public Process process() {
    return process;
  }

  /** What it printed so far. */
  public String log() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is handed back. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM, and waits for it to stop. */
  @Override
  public void close() throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
