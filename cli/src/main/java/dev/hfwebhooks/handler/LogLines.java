package dev.hfwebhooks.handler;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * The lines a handler writes to stderr or the console: each is passed on as it comes (to the server
 * log, or to {@code test}'s report) and the last {@value #KEPT} are kept for the outcome.
 */
public final class LogLines {
  static final int KEPT = 100;
  private static final int MAX_LINE = 4_000;

  private final Consumer<String> sink;
  private final Deque<String> tail = new ArrayDeque<>();

  public LogLines(Consumer<String> sink) {
    this.sink = sink;
  }

  /** {@code line} cut at {@value #MAX_LINE} characters, saying so. */
  static String cut(String line) {
    if (line.length() <= MAX_LINE) {
      return line;
    }
    int end = Character.isHighSurrogate(line.charAt(MAX_LINE - 1)) ? MAX_LINE - 1 : MAX_LINE;
    return line.substring(0, end) + " [line cut]";
  }

  public synchronized void add(String line) {
    String kept = cut(line);
    sink.accept(kept);
    if (tail.size() == KEPT) {
      tail.removeFirst();
    }
    tail.addLast(kept);
  }

  public synchronized List<String> tail() {
    return List.copyOf(tail);
  }

  /** Reads {@code in} to its end, a line at a time. */
  void drain(InputStream in) {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        add(line);
      }
    } catch (IOException e) {
      // The stream closes when the process is killed; what was read is kept.
    }
  }

  /** An output stream that turns the bytes written to it into lines (for JavaScript's console). */
  OutputStream asOutputStream() {
    return new OutputStream() {
      private final ByteArrayOutputStream line = new ByteArrayOutputStream();

      @Override
      public synchronized void write(int b) {
        if (b == '\n') {
          flushLine();
        } else {
          line.write(b);
        }
      }

      @Override
      public synchronized void flush() {
        // Lines are passed on whole; a partial line waits for its newline or close.
      }

      @Override
      public synchronized void close() {
        if (line.size() > 0) {
          flushLine();
        }
      }

      private void flushLine() {
        add(line.toString(StandardCharsets.UTF_8).stripTrailing());
        line.reset();
      }
    };
  }
}
