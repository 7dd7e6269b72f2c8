package dev.hfwebhooks.flow;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One {@code @filter PATH OP VALUE} line: the delivery runs only when it holds.
 *
 * <p>Through an array the path reaches each element, and {@code ==}, {@code in} and {@code ~} hold
 * when any of them matches; {@code !=} is their negation, so it holds when none equals the value
 * ({@code updatedRefs.ref != refs/heads/main}: no push to main). A field the payload lacks equals
 * nothing.
 *
 * @param path where in the payload
 * @param op the operator
 * @param values what to compare with: one value, or for {@code in} each of the list
 * @param text the directive as written after {@code @filter}, what a filtered delivery reports
 * @param line the line of the handler file it is on
 */
public record Filter(PayloadPath path, Op op, List<String> values, String text, int line) {

  /** The operators, as written. */
  public enum Op {
    EQUALS("=="),
    NOT_EQUALS("!="),
    IN("in"),
    GLOB("~");

    final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    /** The operator as written. */
    public String symbol() {
      return symbol;
    }

    static @Nullable Op of(String symbol) {
      return Arrays.stream(values()).filter(o -> o.symbol.equals(symbol)).findFirst().orElse(null);
    }
  }

  public static final String EXAMPLE = "@filter repo.type == dataset";

  public Filter {
    values = List.copyOf(values);
  }

  /**
   * Reads the words after {@code @filter}.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Filter parse(String text, int line) {
    String[] words = text.strip().split("\\s+", 3);
    if (words.length < 3 || words[0].isEmpty()) {
      throw new IllegalArgumentException(
          "@filter needs PATH OP VALUE with spaces between them, e.g. " + EXAMPLE);
    }
    Op op = Op.of(words[1]);
    if (op == null) {
      throw new IllegalArgumentException(
          "\"%s\" is not an operator: use ==, !=, in (a comma-separated list) or ~ (a glob, * for"
                  .formatted(words[1])
              + " any run of characters)");
    }
    PayloadPath path = PayloadPath.parse(words[0]);
    String value = words[2].strip();
    List<String> values =
        op == Op.IN
            ? Arrays.stream(value.split(",")).map(String::strip).filter(v -> !v.isEmpty()).toList()
            : List.of(value);
    if (values.isEmpty()) {
      throw new IllegalArgumentException("@filter ... in needs values separated by commas");
    }
    return new Filter(path, op, values, String.join(" ", words[0], words[1], value), line);
  }

  /** Whether {@code payload} passes this filter. */
  public boolean holds(JsonNode payload) {
    List<String> found = path.values(payload);
    return switch (op) {
      case EQUALS -> found.contains(values.getFirst());
      case NOT_EQUALS -> !found.contains(values.getFirst());
      case IN -> found.stream().anyMatch(values::contains);
      case GLOB -> {
        Pattern glob = glob(values.getFirst());
        yield found.stream().anyMatch(v -> glob.matcher(v).matches());
      }
    };
  }

  /** {@code acme/*} as a regular expression: {@code *} is any run of characters, {@code /} too. */
  static Pattern glob(String glob) {
    String[] parts = glob.split("\\*", -1);
    StringBuilder regex = new StringBuilder(Pattern.quote(parts[0]));
    for (int i = 1; i < parts.length; i++) {
      regex.append(".*").append(Pattern.quote(parts[i]));
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }

  @Override
  public String toString() {
    return text;
  }
}
