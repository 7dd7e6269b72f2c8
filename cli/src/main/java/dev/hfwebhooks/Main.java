package dev.hfwebhooks;

import dev.hfwebhooks.command.HfWebhooksCommand;

/** Entry point: runs the command line and exits with what it returns. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(HfWebhooksCommand.commandLine().execute(args));
  }
}
