package dev.hfwebhooks.server;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The server's log: one timestamped line per event, to the command's output. */
public final class ServerLog {
  private final PrintWriter out;

  public ServerLog(PrintWriter out) {
    this.out = out;
  }

  public void info(String line) {
    String stamped = Instant.now().truncatedTo(ChronoUnit.MILLIS) + " " + line;
    synchronized (out) {
      out.println(stamped);
      out.flush();
    }
  }

  /** A line a handler wrote, prefixed with its name so interleaved handlers stay readable. */
  public void handlerLine(String handler, String line) {
    info("[" + handler + "] " + line);
  }
}
