package dev.hfwebhooks.handler;

import dev.hfwebhooks.flow.Concurrency;
import dev.hfwebhooks.flow.Debounce;
import dev.hfwebhooks.flow.Filter;
import dev.hfwebhooks.flow.Flow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads what a handler declares in a comment among its first {@value #MAX_LINES} lines, in any
 * comment style ({@code #}, {@code //}, {@code --}, or inside a {@code /* ... *}{@code /} block):
 *
 * <pre>
 * // @watch model:acme/sentiment-model dataset:acme/reviews org:acme
 * // @domains repo discussion
 * </pre>
 *
 * A directive is a comment whose first word is {@code @watch}, {@code @domains} or one of the flow
 * control directives ({@code @filter}, {@code @debounce}, {@code @concurrency}: see {@link Flow});
 * other comments, JSDoc tags included, are left alone. {@code @watch} and {@code @filter} may be
 * repeated; {@code @domains} defaults to both domains.
 */
public final class Directives {
  /** Only the head of a file is read, so {@code list} stays fast whatever the handlers weigh. */
  public static final int MAX_LINES = 20;

  /** Twenty lines of a minified or binary file could be anything: read no more than this. */
  static final int MAX_BYTES = 64 * 1024;

  /** A user or organization name, or one part of a repository id. */
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

  private static final String EXAMPLE = "@watch model:acme/sentiment-model";

  private Directives() {}

  /** The directive keywords, in lower case. */
  private static final List<String> KEYWORDS =
      List.of("@watch", "@domains", "@filter", "@concurrency", "@debounce");

  /**
   * What one handler declares: a watch or nothing ({@code watch} and {@code problem} both empty),
   * and its flow control; or the first malformed directive, and then nothing else ({@code flow} is
   * {@link Flow#NONE}).
   */
  public record Declared(
      HandlerFile file,
      Optional<Watch> watch,
      Optional<Problem> problem,
      Flow flow,
      boolean declaresFlow) {

    /**
     * The malformed directive that keeps the handler from running: any, in a file that declares
     * flow control, since its flow is then unknown and running unfiltered would take what its
     * author meant to refuse. A bad {@code @watch} alone matters only to registration.
     */
    public Optional<Problem> blocking() {
      return declaresFlow ? problem : Optional.empty();
    }
  }

  private static final List<String> FLOW_KEYWORDS = List.of("@filter", "@concurrency", "@debounce");

  /** A malformed directive: the file and line it is on, and what is wrong with it. */
  public record Problem(Path file, int line, String what) {
    /** {@code handlers/push.js line 3: "models" is not a type: ...}, one line. */
    public String message() {
      return file + " line " + line + ": " + what;
    }
  }

  /** Reads the directives of {@code file}; an unreadable file is an error on line 1. */
  public static Declared read(HandlerFile file) {
    List<String> lines;
    try {
      lines = head(file.path());
    } catch (IOException e) {
      return new Declared(
          file,
          Optional.empty(),
          Optional.of(new Problem(file.path(), 1, "cannot be read: " + e.getMessage())),
          Flow.NONE,
          false);
    }
    return parse(file, lines);
  }

  private static List<String> head(Path path) throws IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(MAX_BYTES);
    }
    return new String(bytes, StandardCharsets.UTF_8).lines().limit(MAX_LINES).toList();
  }

  static Declared parse(HandlerFile file, List<String> lines) {
    List<Watch.Item> items = new ArrayList<>();
    List<Filter> filters = new ArrayList<>();
    Concurrency concurrency = null;
    Debounce debounce = null;
    List<String> domains = null;
    int domainsLine = 0;
    int count = Math.min(lines.size(), MAX_LINES);
    boolean declaresFlow =
        lines.stream()
            .limit(count)
            .map(Directives::commentText)
            .anyMatch(t -> t != null && FLOW_KEYWORDS.contains(keyword(t)));
    try {
      for (int i = 0; i < count; i++) {
        int line = i + 1;
        String text = commentText(lines.get(i));
        if (text == null) {
          continue;
        }
        String[] words = text.split("[\\s,]+");
        String keyword = words[0].toLowerCase(Locale.ROOT);
        List<String> args = List.of(words).subList(1, words.length);
        if (keyword.equals("@watch")) {
          if (args.isEmpty()) {
            throw new BadDirective(
                line,
                "@watch needs at least one TYPE:NAME, e.g. " + EXAMPLE + " or @watch org:acme");
          }
          for (String arg : args) {
            Watch.Item item = item(line, arg);
            if (!items.contains(item)) {
              items.add(item);
            }
          }
        } else if (keyword.equals("@domains")) {
          if (domains != null) {
            throw new BadDirective(line, "@domains is already given on line " + domainsLine);
          }
          domains = domains(line, args);
          domainsLine = line;
        } else if (keyword.equals("@filter")) {
          filters.add(flowDirective(line, () -> Filter.parse(rest(text), line)));
        } else if (keyword.equals("@concurrency")) {
          if (concurrency != null) {
            throw new BadDirective(
                line, "@concurrency is already given on line " + concurrency.line());
          }
          concurrency = flowDirective(line, () -> Concurrency.parse(rest(text), line));
        } else if (keyword.equals("@debounce")) {
          if (debounce != null) {
            throw new BadDirective(line, "@debounce is already given on line " + debounce.line());
          }
          debounce = flowDirective(line, () -> Debounce.parse(rest(text), line));
        }
      }
      if (domains != null && items.isEmpty()) {
        throw new BadDirective(
            domainsLine, "@domains without @watch: say what to watch, e.g. " + EXAMPLE);
      }
    } catch (BadDirective e) {
      return new Declared(
          file,
          Optional.empty(),
          Optional.of(new Problem(file.path(), e.line, e.what)),
          Flow.NONE,
          declaresFlow);
    }
    Optional<Watch> watch =
        items.isEmpty()
            ? Optional.empty()
            : Optional.of(new Watch(items, domains != null ? domains : Watch.DOMAINS));
    return new Declared(
        file, watch, Optional.empty(), new Flow(filters, concurrency, debounce), declaresFlow);
  }

  /** The first word of a directive's text, in lower case. */
  private static String keyword(String text) {
    return text.split("\\s", 2)[0].toLowerCase(Locale.ROOT);
  }

  /** The text after a directive's keyword. */
  private static String rest(String text) {
    String[] split = text.split("\\s", 2);
    return split.length < 2 ? "" : split[1].strip();
  }

  /** Parses a flow directive, whose parser says what is wrong with an IllegalArgumentException. */
  private static <T> T flowDirective(int line, java.util.function.Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new BadDirective(line, String.valueOf(e.getMessage()));
    }
  }

  /**
   * The words of a comment line that starts with a directive keyword, or null for any other line.
   */
  private static @Nullable String commentText(String line) {
    String text = line.strip();
    String marker = null;
    for (String m : List.of("//", "/*", "--", "#", "*")) {
      if (text.startsWith(m)) {
        marker = m;
        break;
      }
    }
    if (marker == null) {
      return null;
    }
    // "### @watch", "/// @watch" and "---- @watch" are the same comment.
    char repeated = marker.charAt(marker.length() - 1);
    int start = marker.length();
    while (start < text.length() && text.charAt(start) == repeated) {
      start++;
    }
    text = text.substring(start).strip();
    if (text.endsWith("*/")) {
      text = text.substring(0, text.length() - 2).strip();
    }
    return KEYWORDS.contains(keyword(text)) ? text : null;
  }

  private static Watch.Item item(int line, String arg) {
    int colon = arg.indexOf(':');
    if (colon < 0) {
      throw new BadDirective(
          line,
          "\"%s\" is not TYPE:NAME (types: %s), e.g. %s"
              .formatted(arg, String.join(", ", Watch.TYPES), EXAMPLE));
    }
    String type = arg.substring(0, colon).toLowerCase(Locale.ROOT);
    String name = arg.substring(colon + 1);
    if (!Watch.TYPES.contains(type)) {
      throw new BadDirective(
          line, "\"%s\" is not a type: use %s".formatted(arg.substring(0, colon), typeList("or")));
    }
    if (name.isEmpty()) {
      throw new BadDirective(line, "\"%s\" has no name after the colon".formatted(arg));
    }
    String[] parts = name.split("/", -1);
    boolean repo = type.equals("model") || type.equals("dataset") || type.equals("space");
    if (!repo && parts.length > 1) {
      throw new BadDirective(
          line,
          "\"%s\": %s is one name without '/'; to watch one repository, write model:%s"
              .formatted(arg, type.equals("org") ? "an org" : "a user", name));
    }
    // Spaces always have an owner; a few old models and datasets have none (gpt2, squad).
    if (repo && (parts.length > 2 || (type.equals("space") && parts.length != 2))) {
      throw new BadDirective(
          line, "\"%s\": a %s is named owner/name, e.g. %s:acme/demo".formatted(arg, type, type));
    }
    for (String part : parts) {
      if (!SEGMENT.matcher(part).matches()) {
        throw new BadDirective(
            line,
            "\"%s\" is not a valid name: use letters, digits, '-', '_' and '.'".formatted(name));
      }
    }
    return new Watch.Item(type, name);
  }

  private static List<String> domains(int line, List<String> args) {
    if (args.isEmpty()) {
      throw new BadDirective(line, "@domains needs repo, discussion or both");
    }
    Set<String> given = new LinkedHashSet<>();
    for (String arg : args) {
      String domain = arg.toLowerCase(Locale.ROOT);
      if (!Watch.DOMAINS.contains(domain)) {
        throw new BadDirective(
            line, "\"%s\" is not a domain: use repo, discussion or both".formatted(arg));
      }
      given.add(domain);
    }
    // Always in the same order, so comparing with the Hub's list never sees a false change.
    return Watch.DOMAINS.stream().filter(given::contains).toList();
  }

  private static String typeList(String last) {
    List<String> types = Watch.TYPES;
    return String.join(", ", types.subList(0, types.size() - 1))
        + " "
        + last
        + " "
        + types.getLast();
  }

  /** A malformed directive found while parsing; becomes a {@link Problem}. */
  private static final class BadDirective extends RuntimeException {
    final int line;

    /** The message, which {@link #getMessage()} cannot promise is not null. */
    final String what;

    BadDirective(int line, String message) {
      super(message, null, false, false);
      this.line = line;
      this.what = message;
    }
  }
}
