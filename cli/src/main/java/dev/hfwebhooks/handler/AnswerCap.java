package dev.hfwebhooks.handler;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The one cap on what a handler answers, whatever its kind: the Hub stores each answer, and a
 * runaway handler must not make the server hold (and the journal keep) an answer of any size. A cut
 * answer says so in the handler's log with the same line everywhere.
 *
 * <p>The cap is 1 MiB unless {@code -Dhf-webhooks.max-answer=BYTES} (in {@code HF_WEBHOOKS_OPTS})
 * says otherwise, read on each use so that a test can raise it for the server it runs.
 */
public final class AnswerCap {
  /** The cap when none is set, in UTF-8 bytes. */
  public static final int DEFAULT_MAX_BYTES = 1 << 20;

  /** The system property that sets another cap. */
  public static final String PROPERTY = "hf-webhooks.max-answer";

  private AnswerCap() {}

  /** The most an answer holds now, in UTF-8 bytes. */
  public static int maxBytes() {
    Integer set = Integer.getInteger(PROPERTY);
    return set != null && set > 0 ? set : DEFAULT_MAX_BYTES;
  }

  /** What the handler's log says when its answer was cut at {@code max} bytes. */
  public static String cutLine(int max) {
    return "[hf-webhooks] answer cut at " + max + " bytes";
  }

  /** Whether {@code text} (null for none) fits the cap. */
  public static boolean fits(@Nullable String text) {
    return fits(text, maxBytes());
  }

  private static boolean fits(@Nullable String text, int max) {
    // A char is at most 3 bytes in UTF-8 (a pair of surrogates, 4 for 2): short text needs no
    // encoding to know.
    return text == null
        || text.length() <= max / 3
        || text.getBytes(StandardCharsets.UTF_8).length <= max;
  }

  /**
   * The first {@link #maxBytes} bytes of {@code text}, cut between characters rather than inside
   * one, with {@link #cutLine} added to {@code log}; {@code text} itself when it fits.
   */
  public static String cut(String text, LogLines log) {
    int max = maxBytes();
    if (fits(text, max)) {
      return text;
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    int end = max;
    while (end > 0 && (utf8[end] & 0xC0) == 0x80) {
      end--; // a continuation byte: the character started before the cap
    }
    log.add(cutLine(max));
    return new String(utf8, 0, end, StandardCharsets.UTF_8);
  }
}
