package dev.hfwebhooks.command;

/** The program's exit codes, all of them. */
public final class ExitCode {
  /** Everything worked. */
  public static final int OK = 0;

  /** A handler failed, or the runtime did (port in use, engine error). */
  public static final int FAILURE = 1;

  /** Bad usage or input: an unknown option, a missing folder, an invalid payload. */
  public static final int USAGE = 2;

  private ExitCode() {}
}
