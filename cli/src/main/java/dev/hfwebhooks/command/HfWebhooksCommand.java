package dev.hfwebhooks.command;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root command: only lists the subcommands. */
@Command(
    name = "hf-webhooks",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Run your code on Hugging Face Hub webhook events.",
    subcommands = {
      ServeCommand.class,
      ListCommand.class,
      TestCommand.class,
      DeliveriesCommand.class,
      ReplayCommand.class,
      // Prints a bash/zsh completion script for this very command tree, so it never goes stale.
      AutoComplete.GenerateCompletion.class,
      CommandLine.HelpCommand.class
    })
public final class HfWebhooksCommand {

  /** The command line with this program's error handling, for {@code main} and for tests. */
  public static CommandLine commandLine() {
    ErrorHandler errors = new ErrorHandler();
    return new CommandLine(new HfWebhooksCommand())
        .setExecutionExceptionHandler(errors)
        .setParameterExceptionHandler(errors);
  }
}
