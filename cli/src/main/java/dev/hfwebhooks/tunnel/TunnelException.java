package dev.hfwebhooks.tunnel;

import java.util.List;

/**
 * The tunnel could not give a public URL, or lost it: one line saying why, then the client's last
 * lines (secrets masked) so its own explanation, such as ngrok's authentication error, shows too.
 */
public final class TunnelException extends Exception {
  TunnelException(String message) {
    super(message);
  }

  TunnelException(String headline, List<String> clientLines) {
    super(withLines(headline, clientLines));
  }

  static String withLines(String headline, List<String> clientLines) {
    if (clientLines.isEmpty()) {
      return headline + " (it printed nothing)";
    }
    return headline + "; its last lines:\n  " + String.join("\n  ", clientLines);
  }
}
