package dev.hfwebhooks.command;

import org.jspecify.annotations.Nullable;

/** An error the user can fix, shown as one line (no stack trace) with its exit code. */
final class UserError extends RuntimeException {
  private final int exitCode;

  /**
   * @param message the line to show; null only when it is the message of an exception that had none
   *     (Throwable's may be null)
   */
  private UserError(int exitCode, @Nullable String message, @Nullable Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** Bad usage or input: exit 2. */
  static UserError usage(@Nullable String message) {
    return new UserError(ExitCode.USAGE, message, null);
  }

  static UserError usage(@Nullable String message, Throwable cause) {
    return new UserError(ExitCode.USAGE, message, cause);
  }

  /** The runtime failed (not the user's input): exit 1. */
  static UserError failure(@Nullable String message, @Nullable Throwable cause) {
    return new UserError(ExitCode.FAILURE, message, cause);
  }

  int exitCode() {
    return exitCode;
  }

  /**
   * {@code text} as an error line can show what a user typed: line breaks, tabs and other control
   * characters (and Unicode's line separators) written as escapes, so the error stays one line and
   * shows what was really there; anything else as it is.
   */
  static String visible(String text) {
    StringBuilder shown = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> shown.append("\\n");
        case '\r' -> shown.append("\\r");
        case '\t' -> shown.append("\\t");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            shown.append("\\u%04x".formatted((int) c));
          } else {
            shown.append(c);
          }
        }
      }
    }
    return shown.toString();
  }
}
