package dev.hfwebhooks.command;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hf-webhooks hub}: only lists its subcommands, which talk to the Hub's webhook settings.
 */
@Command(
    name = "hub",
    mixinStandardHelpOptions = true,
    description = {
      "Your webhooks on the Hugging Face Hub: list them, create and update them from the"
          + " handlers' @watch lines, or delete them.",
      "The token comes from HF_TOKEN, else from `huggingface-cli login`; the Hub from HF_ENDPOINT"
          + " (default: https://huggingface.co)."
    },
    subcommands = {HubListCommand.class, HubSyncCommand.class, HubDeleteCommand.class})
final class HubCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @ParentCommand HfWebhooksCommand root;

  Map<String, String> environment() {
    return root.environment();
  }

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(), "say what to do: hub list, hub sync, or hub delete");
  }
}
