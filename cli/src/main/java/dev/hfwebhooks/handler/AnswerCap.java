package dev.hfwebhooks.handler;

import java.nio.charset.StandardCharsets;

/**
 * The one cap on what a handler answers, whatever its kind: the Hub stores each answer, and a
 * runaway handler must not make the server hold (and the journal keep) an answer of any size. A cut
 * answer says so in the handler's log with the same line everywhere.
 */
public final class AnswerCap {
  /** The most an answer holds, in UTF-8 bytes. */
  public static final int MAX_BYTES = 1 << 20;

  /** What the handler's log says when its answer was cut. */
  public static final String CUT_LINE = "[hf-webhooks] answer cut at " + MAX_BYTES + " bytes";

  private AnswerCap() {}

  /** Whether {@code text} (null for none) fits the cap. */
  public static boolean fits(String text) {
    // A char is at most 3 bytes in UTF-8 (a pair of surrogates, 4 for 2): short text needs no
    // encoding to know.
    return text == null
        || text.length() <= MAX_BYTES / 3
        || text.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES;
  }

  /**
   * The first {@link #MAX_BYTES} bytes of {@code text}, cut between characters rather than inside
   * one, with {@link #CUT_LINE} added to {@code log}; {@code text} itself when it fits.
   */
  public static String cut(String text, LogLines log) {
    if (fits(text)) {
      return text;
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    int end = MAX_BYTES;
    while (end > 0 && (utf8[end] & 0xC0) == 0x80) {
      end--; // a continuation byte: the character started before the cap
    }
    log.add(CUT_LINE);
    return new String(utf8, 0, end, StandardCharsets.UTF_8);
  }
}
