package dev.hfwebhooks;

import dev.hfwebhooks.command.HfWebhooksCommand;

/** Entry point: runs the command line and exits with what it returns. */
public final class Main {
  private static final String JETTY_REFERENCES_PER_CACHE_LINE =
      "org.eclipse.jetty.util.referencesPerCacheLine";

  private Main() {}

  public static void main(String[] args) {
    // Jetty sizes its padding to the cache line by asking the HotSpot diagnostic MBean whether
    // oops are compressed, unless this is set; that lookup starts the JMX platform server and
    // Flight
    // Recorder's beans, a tenth of a second of every server's start and memory it never frees.
    // 16 is its own answer for compressed oops (64-byte lines, 4-byte references), which holds for
    // every heap below 32 GB; padding only spaces hot fields apart, so a wrong value costs nothing.
    if (System.getProperty(JETTY_REFERENCES_PER_CACHE_LINE) == null) {
      System.setProperty(JETTY_REFERENCES_PER_CACHE_LINE, "16");
    }
    System.exit(HfWebhooksCommand.forArgs(args).execute(args));
  }
}
