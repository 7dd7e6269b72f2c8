package dev.hfwebhooks.testing;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Property checks over generated inputs: {@link #forAll} draws inputs from a generator and checks a
 * property on each, for a bounded number of tries, then shrinks a failing input to a small one
 * before reporting it with the seed that reproduces it.
 *
 * <p>Each run draws new inputs (a random seed), so runs add up to more and more ground covered.
 * {@code -Dgenerated.tries=N} runs N tries per property instead of {@value #DEFAULT_TRIES} (a
 * longer search: README, "Building from source"); {@code -Dgenerated.seed=S} replays the run a
 * failure names.
 */
public final class Generated {
  /** Tries per property in an ordinary build: a second or two each. */
  public static final int DEFAULT_TRIES = 200;

  /** The tries of this run. */
  public static final int TRIES = Integer.getInteger("generated.tries", DEFAULT_TRIES);

  /**
   * The tries of a property whose every try runs real handlers through a real server (tens of
   * milliseconds each, not microseconds): a tenth of {@link #TRIES}, so that it too stays within a
   * few seconds, and grows with {@code -Dgenerated.tries} like the others.
   */
  public static final int COSTLY_TRIES = Math.max(1, TRIES / 10);

  /** The seed of this run: each try's inputs come from it and the try's number alone. */
  public static final long SEED = Long.getLong("generated.seed", new SecureRandom().nextLong());

  /** How many candidate inputs shrinking may check before it reports what it has. */
  private static final int SHRINK_BUDGET = 3000;

  private Generated() {}

  /** A property of one input: it returns normally, or throws to say how the input broke it. */
  @FunctionalInterface
  public interface Property<T> {
    void check(T input) throws Exception;
  }

  /**
   * Checks {@code property} on {@link #TRIES} inputs of {@code inputs}; a failing one is shrunk
   * with {@code smaller} (candidates, smallest change first; see {@link #shrinkText}) and reported
   * as an AssertionError naming the seed, the try, and the input.
   */
  public static <T> void forAll(
      Function<Random, T> inputs, Function<T, List<T>> smaller, Property<T> property) {
    forAll(TRIES, inputs, smaller, property);
  }

  /** {@link #forAll(Function, Function, Property)} with {@code tries} tries. */
  public static <T> void forAll(
      int tries, Function<Random, T> inputs, Function<T, List<T>> smaller, Property<T> property) {
    for (int i = 0; i < tries; i++) {
      T input = inputs.apply(new Random(SEED * 31 + i));
      Throwable failure = failure(property, input);
      if (failure != null) {
        T small = input;
        Throwable smallFailure = failure;
        int budget = SHRINK_BUDGET;
        boolean shrunk = true;
        while (shrunk && budget > 0) {
          shrunk = false;
          for (T candidate : smaller.apply(small)) {
            if (--budget < 0) {
              break;
            }
            Throwable f = failure(property, candidate);
            if (f != null) {
              small = candidate;
              smallFailure = f;
              shrunk = true;
              break;
            }
          }
        }
        AssertionError error =
            new AssertionError(
                "property failed on try %d of %d (replay with -Dgenerated.seed=%d); smallest input found: %s; it threw: %s"
                    .formatted(i + 1, tries, SEED, show(small), smallFailure),
                smallFailure);
        error.addSuppressed(
            new AssertionError("the input as first generated: " + show(input), failure));
        throw error;
      }
    }
  }

  /** {@link #forAll} for inputs that are not worth shrinking. */
  public static <T> void forAll(Function<Random, T> inputs, Property<T> property) {
    forAll(inputs, input -> List.of(), property);
  }

  private static <T> Throwable failure(Property<T> property, T input) {
    try {
      property.check(input);
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /**
   * Shorter texts: runs of characters taken out, the longest runs first. Made as they are asked
   * for: a list made whole holds length squared characters, gigabytes for a 300 KB input, and once
   * ran a test JVM out of heap before the failure it was shrinking could be reported.
   */
  public static List<String> shrinkText(String text) {
    Cuts cuts = new Cuts(text.length());
    return new AbstractList<>() {
      @Override
      public String get(int index) {
        int[] cut = cuts.cut(index);
        return text.substring(0, cut[0]) + text.substring(cut[0] + cut[1]);
      }

      @Override
      public int size() {
        return cuts.size;
      }
    };
  }

  /** Shorter byte arrays, as {@link #shrinkText} makes shorter texts. */
  public static List<byte[]> shrinkBytes(byte[] bytes) {
    Cuts cuts = new Cuts(bytes.length);
    return new AbstractList<>() {
      @Override
      public byte[] get(int index) {
        int[] cut = cuts.cut(index);
        int at = cut[0];
        int size = cut[1];
        byte[] shorter = new byte[bytes.length - size];
        System.arraycopy(bytes, 0, shorter, 0, at);
        System.arraycopy(bytes, at + size, shorter, at, bytes.length - at - size);
        return shorter;
      }

      @Override
      public int size() {
        return cuts.size;
      }
    };
  }

  /**
   * The runs a shrink takes out of {@code length} items, by index: for each run size from half the
   * length down to 1 (halving), every run of that size from the start; then the last item.
   */
  private static final class Cuts {
    private final int length;
    private final int size;

    Cuts(int length) {
      this.length = length;
      int n = length > 0 ? 1 : 0;
      for (int run = length / 2; run >= 1; run /= 2) {
        n += length / run;
      }
      this.size = n;
    }

    /** {start, run length} of cut {@code index}. */
    int[] cut(int index) {
      int left = index;
      for (int run = length / 2; run >= 1; run /= 2) {
        int count = length / run;
        if (left < count) {
          return new int[] {left * run, run};
        }
        left -= count;
      }
      return new int[] {length - 1, 1};
    }
  }

  /** An input as a Java literal would write it, cut when long. */
  static String show(Object input) {
    String text =
        switch (input) {
          case byte[] bytes -> "bytes " + escape(new String(bytes, StandardCharsets.ISO_8859_1));
          case String s -> escape(s);
          case Object[] array -> escape(Arrays.deepToString(array));
          case null -> "null";
          default -> escape(String.valueOf(input));
        };
    return text.length() > 2000 ? text.substring(0, 2000) + "...(" + text.length() + ")" : text;
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            out.append("\\u%04x".formatted((int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
