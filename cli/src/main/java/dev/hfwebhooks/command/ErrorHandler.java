package dev.hfwebhooks.command;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns every error into one line on stderr and an exit code: the stack trace only with {@code
 * --verbose}, and for a bad option a pointer to {@code --help} rather than the whole usage text.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    boolean verbose = verbose(parsed);
    if (e instanceof UserError user) {
      err.println("error: " + user.getMessage());
      if (verbose && user.getCause() != null) {
        user.getCause().printStackTrace(err);
      }
      err.flush();
      return user.exitCode();
    }
    err.println("error: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
    if (verbose) {
      e.printStackTrace(err);
    } else {
      err.println("(run again with --verbose to see the stack trace)");
    }
    err.flush();
    return ExitCode.FAILURE;
  }

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("error: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
    err.flush();
    return ExitCode.USAGE;
  }

  private static boolean verbose(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }
}
