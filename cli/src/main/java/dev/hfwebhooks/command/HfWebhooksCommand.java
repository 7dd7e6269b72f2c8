package dev.hfwebhooks.command;

import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root command: lists the subcommands, and holds the environment they read. */
@Command(
    name = "hf-webhooks",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Run your code on Hugging Face Hub webhook events.",
    subcommands = {
      ServeCommand.class,
      ListCommand.class,
      TestCommand.class,
      HubCommand.class,
      DeliveriesCommand.class,
      ReplayCommand.class,
      DeployCommand.class,
      // Prints a bash/zsh completion script for this very command tree, so it never goes stale.
      AutoComplete.GenerateCompletion.class,
      CommandLine.HelpCommand.class
    })
public final class HfWebhooksCommand {
  private final Map<String, String> environment;

  private HfWebhooksCommand(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /**
   * The variables the commands read (HF_ENDPOINT, HF_TOKEN, HF_HOME, SPACE_HOST...): the process's
   * own, or those a test gives, since a JVM cannot change its environment.
   */
  Map<String, String> environment() {
    return environment;
  }

  /** The command line with this program's error handling, for {@code main} and for tests. */
  public static CommandLine commandLine() {
    return commandLine(System.getenv());
  }

  /** The same, reading {@code environment} instead of the process's variables. */
  public static CommandLine commandLine(Map<String, String> environment) {
    ErrorHandler errors = new ErrorHandler();
    return new CommandLine(new HfWebhooksCommand(environment))
        .setExecutionExceptionHandler(errors)
        .setParameterExceptionHandler(errors);
  }
}
