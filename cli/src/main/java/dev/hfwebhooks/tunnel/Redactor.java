package dev.hfwebhooks.tunnel;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Masks secrets in what a tunnel client prints before it reaches a terminal or a log: the values of
 * variables such as {@code NGROK_AUTHTOKEN}, the webhook secret, and tokens on the command line.
 * Clients do not normally print them; this keeps a verbose or failing one from doing so.
 */
record Redactor(List<String> secrets) {
  static final String MASK = "[hidden]";

  /** Names of variables and options whose values are secrets. */
  private static final Pattern SENSITIVE =
      Pattern.compile("(?i).*(token|secret|password|passwd|key|auth|credential).*");

  /**
   * A guessed secret shorter than this (a flag's "1", a region "eu") is more likely an ordinary
   * word than a secret, and masking it would garble every line.
   */
  private static final int MIN_GUESSED_LENGTH = 6;

  Redactor {
    // Longest first, so a secret that contains another is masked whole.
    secrets =
        secrets.stream()
            .filter(s -> s != null && !s.isEmpty())
            .distinct()
            .sorted(Comparator.comparingInt(String::length).reversed())
            .toList();
  }

  /**
   * Secrets guessed from the client's environment and command line, and {@code known} ones (the
   * webhook secret), masked whatever their length.
   */
  static Redactor of(Map<String, String> env, List<String> command, Collection<String> known) {
    Stream<String> fromEnv =
        env.entrySet().stream()
            .filter(e -> SENSITIVE.matcher(e.getKey()).matches())
            .map(Map.Entry::getValue);
    Stream<String> guessed =
        Stream.concat(fromEnv, fromCommand(command))
            .filter(s -> s != null && s.length() >= MIN_GUESSED_LENGTH);
    return new Redactor(Stream.concat(guessed, known.stream()).toList());
  }

  /** Values of {@code --authtoken X} and {@code --token=X} style options. */
  private static Stream<String> fromCommand(List<String> command) {
    Stream.Builder<String> values = Stream.builder();
    for (int i = 0; i < command.size(); i++) {
      String word = command.get(i);
      if (!word.startsWith("-")) {
        continue;
      }
      int eq = word.indexOf('=');
      String name = eq < 0 ? word : word.substring(0, eq);
      if (!SENSITIVE.matcher(name).matches()) {
        continue;
      }
      if (eq >= 0) {
        values.add(word.substring(eq + 1));
      } else if (i + 1 < command.size()) {
        values.add(command.get(i + 1));
      }
    }
    return values.build();
  }

  String apply(String line) {
    String masked = line;
    for (String secret : secrets) {
      masked = masked.replace(secret, MASK);
    }
    return masked;
  }
}
