package dev.hfwebhooks.command;

/** An error the user can fix, shown as one line (no stack trace) with its exit code. */
final class UserError extends RuntimeException {
  private final int exitCode;

  private UserError(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** Bad usage or input: exit 2. */
  static UserError usage(String message) {
    return new UserError(ExitCode.USAGE, message, null);
  }

  static UserError usage(String message, Throwable cause) {
    return new UserError(ExitCode.USAGE, message, cause);
  }

  /** The runtime failed (not the user's input): exit 1. */
  static UserError failure(String message, Throwable cause) {
    return new UserError(ExitCode.FAILURE, message, cause);
  }

  int exitCode() {
    return exitCode;
  }
}
