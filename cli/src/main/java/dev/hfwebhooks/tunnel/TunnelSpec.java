package dev.hfwebhooks.tunnel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * Which tunnel client to run and how to find its public URL in what it prints.
 *
 * @param client the program as named in messages (never its arguments: they may hold a token)
 * @param command the program and its arguments, where {@value #PORT} stands for the server's port
 * @param scanner finds the public URL in a line of output
 * @param timeout how long the client may take to give its URL
 * @param installHint what to do when the program is not found
 * @param noUrlHint what to try when no URL came in time
 */
public record TunnelSpec(
    String client,
    List<String> command,
    UrlScanner scanner,
    Duration timeout,
    String installHint,
    String noUrlHint) {

  /** Replaced by the server's port, known only once it listens (it may be 0 until then). */
  public static final String PORT = "{port}";

  public TunnelSpec {
    command = List.copyOf(command);
    if (command.isEmpty() || command.getFirst().isBlank()) {
      throw new IllegalArgumentException("the tunnel command is empty");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the tunnel timeout must be positive");
    }
  }

  /**
   * The ngrok agent, {@code ngrok} on PATH or {@code bin}: {@code ngrok http PORT} with its JSON
   * log on stdout, where the {@code started tunnel} line carries the URL. The authtoken comes from
   * ngrok's own configuration or {@code NGROK_AUTHTOKEN}.
   */
  public static TunnelSpec ngrok(@Nullable String bin, Duration timeout) {
    String program = bin == null || bin.isBlank() ? "ngrok" : bin;
    return new TunnelSpec(
        program,
        List.of(program, "http", PORT, "--log", "stdout", "--log-format", "json"),
        UrlScanner.ngrokJson(),
        timeout,
        bin == null
            ? "install it (https://ngrok.com/download) and run `ngrok config add-authtoken"
                + " TOKEN` once, or pass --tunnel-bin PATH, or run another client with"
                + " --tunnel-command, e.g. --tunnel-command 'cloudflared tunnel --url"
                + " http://localhost:{port}'"
            : "check --tunnel-bin",
        "check that `" + program + " http 8080` works in a terminal");
  }

  /**
   * Any client, from a command line such as {@code cloudflared tunnel --url
   * http://localhost:{port}}: split into words as a shell would (quotes and backslashes), but no
   * shell runs it. The URL is the first https origin it prints, or what {@code urlPattern} matches.
   *
   * @throws IllegalArgumentException when the command or the pattern is malformed
   */
  public static TunnelSpec command(
      String commandLine, @Nullable String urlPattern, Duration timeout) {
    if (!commandLine.contains(PORT)) {
      throw new IllegalArgumentException(
          "--tunnel-command must contain " + PORT + ", which becomes the server's port");
    }
    List<String> words = words(commandLine);
    UrlScanner scanner;
    if (urlPattern == null) {
      scanner = UrlScanner.firstHttpsOrigin();
    } else {
      try {
        scanner = UrlScanner.pattern(Pattern.compile(urlPattern));
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "--tunnel-url-pattern is not a valid regular expression: " + e.getDescription());
      }
    }
    String program = words.getFirst();
    return new TunnelSpec(
        program,
        words,
        scanner,
        timeout,
        "install it, or fix --tunnel-command",
        urlPattern == null
            ? "if it prints its address without https://, pass --tunnel-url-pattern"
            : "check that --tunnel-url-pattern matches the line that gives the address");
  }

  /** The command to run for a server listening on {@code port}. */
  public List<String> commandFor(int port) {
    return command.stream().map(word -> word.replace(PORT, String.valueOf(port))).toList();
  }

  /** Splits a command line into words: whitespace separates, quotes and backslashes escape. */
  static List<String> words(String commandLine) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < commandLine.length(); i++) {
      char c = commandLine.charAt(i);
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\\' && i + 1 < commandLine.length()) {
        char next = commandLine.charAt(++i);
        // Inside double quotes a backslash escapes only what a shell lets it escape there.
        if (quote == '"' && "\"\\$`".indexOf(next) < 0) {
          word.append(c);
        }
        word.append(next);
        inWord = true;
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("--tunnel-command has an unclosed " + quote + " quote");
    }
    if (inWord) {
      words.add(word.toString());
    }
    if (words.isEmpty()) {
      throw new IllegalArgumentException("--tunnel-command is empty");
    }
    return words;
  }
}
