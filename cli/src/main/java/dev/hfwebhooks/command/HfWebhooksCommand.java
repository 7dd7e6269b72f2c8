package dev.hfwebhooks.command;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root command: lists the subcommands, and holds the environment they read. */
@Command(
    name = "hf-webhooks",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Run your code on Hugging Face Hub webhook events.")
public final class HfWebhooksCommand {
  /** The subcommands, in the order help lists them. */
  private static final List<Class<?>> SUBCOMMANDS =
      List.of(
          ServeCommand.class,
          ListCommand.class,
          TestCommand.class,
          HubCommand.class,
          DeliveriesCommand.class,
          ReplayCommand.class,
          DeployCommand.class,
          // Prints a bash/zsh completion script for this very command tree, so it never goes
          // stale.
          AutoComplete.GenerateCompletion.class,
          CommandLine.HelpCommand.class);

  /** Those a command line may name first and be given alone (not help: it names another). */
  private static final Map<String, Class<?>> OWN =
      SUBCOMMANDS.stream()
          .filter(c -> c.getPackageName().equals(HfWebhooksCommand.class.getPackageName()))
          .collect(Collectors.toMap(c -> c.getAnnotation(Command.class).name(), c -> c));

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

  /** The command line with this program's error handling, for tests. */
  public static CommandLine commandLine() {
    return commandLine(System.getenv());
  }

  /** The same, reading {@code environment} instead of the process's variables. */
  public static CommandLine commandLine(Map<String, String> environment) {
    return build(environment, SUBCOMMANDS);
  }

  /**
   * The command line for {@code main} to run {@code args} with: when they start with one of this
   * program's subcommands, the tree holds that one alone, since picocli reads every option of every
   * command it holds by reflection, a tenth of a second of each start that {@code serve} should not
   * pay. Anything else (help, a mistyped name) gets the whole tree.
   */
  public static CommandLine forArgs(String... args) {
    Class<?> named = args.length > 0 ? OWN.get(args[0]) : null;
    return build(System.getenv(), named != null ? List.of(named) : SUBCOMMANDS);
  }

  private static CommandLine build(Map<String, String> environment, List<Class<?>> subcommands) {
    ErrorHandler errors = new ErrorHandler();
    CommandLine root = new CommandLine(new HfWebhooksCommand(environment));
    subcommands.forEach(root::addSubcommand);
    return root.setExecutionExceptionHandler(errors).setParameterExceptionHandler(errors);
  }
}
