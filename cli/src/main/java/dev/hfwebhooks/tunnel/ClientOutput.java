package dev.hfwebhooks.tunnel;

import dev.hfwebhooks.payload.Json;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * What the tunnel client printed, secrets masked: passed on line by line (to the server log with
 * {@code --verbose}) and the last lines kept, to show when it fails.
 */
final class ClientOutput {
  private static final int KEPT = 100;
  private static final int MAX_LINE = 500;

  /** Levels of JSON log lines that are chatter, left out of an error when other lines exist. */
  private static final Set<String> CHATTER = Set.of("info", "dbug", "debug", "trace");

  private final Redactor redactor;
  private final Consumer<String> echo;
  private final Deque<String> tail = new ArrayDeque<>();

  ClientOutput(Redactor redactor, Consumer<String> echo) {
    this.redactor = redactor;
    this.echo = echo;
  }

  /** Keeps and passes on one line, masked. */
  void add(String line) {
    String masked = redactor.apply(line);
    if (masked.length() > MAX_LINE) {
      masked = masked.substring(0, MAX_LINE) + " [line cut]";
    }
    synchronized (this) {
      if (tail.size() == KEPT) {
        tail.removeFirst();
      }
      tail.addLast(masked);
    }
    echo.accept(masked);
  }

  /**
   * The last {@code n} lines worth showing in an error, JSON log lines made readable. ngrok logs a
   * dozen info lines before its error; those are dropped when anything else was printed.
   */
  synchronized List<String> lastLines(int n) {
    List<Line> all = tail.stream().filter(line -> !line.isBlank()).map(Line::of).toList();
    List<Line> notChatter = all.stream().filter(line -> !line.isChatter()).toList();
    List<Line> shown = notChatter.isEmpty() ? all : notChatter;
    return shown.subList(Math.max(0, shown.size() - n), shown.size()).stream()
        .map(Line::toString)
        .toList();
  }

  /** One line of output; {@code level} is set for a JSON log line, null for plain text. */
  record Line(@Nullable String level, String text) {
    /**
     * A JSON log line becomes {@code msg: err} on one line ({@code err} carries ngrok's message,
     * line breaks included); other lines stay as they are.
     */
    static Line of(String raw) {
      if (!raw.startsWith("{")) {
        return new Line(null, raw.strip());
      }
      return Json.tryParse(raw)
          .filter(node -> node.path("msg").isTextual())
          .map(
              node -> {
                String msg = node.path("msg").asText();
                String err = node.path("err").asText("");
                String text = err.isBlank() ? msg : msg + ": " + err;
                return new Line(node.path("lvl").asText(""), text.replaceAll("\\s+", " ").strip());
              })
          .orElseGet(() -> new Line(null, raw.strip()));
    }

    boolean isChatter() {
      return level != null && CHATTER.contains(level);
    }

    @Override
    public String toString() {
      return level == null || level.isEmpty() ? text : level + " " + text;
    }
  }
}
