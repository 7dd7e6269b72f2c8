package dev.hfwebhooks.hub;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A sync that stopped at a failing call: the Hub's error, then what was done before it and what was
 * not, all on one line, so the user knows the state their settings are in.
 */
public final class PartialSyncException extends Exception {
  private final String message;
  private final HubException hubError;
  private final List<Sync.Step> done;
  private final List<Sync.Step> notDone;

  PartialSyncException(HubException hubError, List<Sync.Step> done, List<Sync.Step> notDone) {
    this(message(hubError, done, notDone), hubError, done, notDone);
  }

  private PartialSyncException(
      String message, HubException hubError, List<Sync.Step> done, List<Sync.Step> notDone) {
    super(message, hubError);
    this.message = message;
    this.hubError = hubError;
    this.done = List.copyOf(done);
    this.notDone = List.copyOf(notDone);
  }

  private static String message(HubException error, List<Sync.Step> done, List<Sync.Step> notDone) {
    String did =
        done.isEmpty()
            ? "nothing was changed"
            : "done: "
                + done.stream().map(s -> Sync.verb(s, true)).collect(Collectors.joining(", "));
    return error.getMessage()
        + ". Sync stopped: "
        + did
        + "; not done: "
        + notDone.stream().map(s -> Sync.verb(s, false)).collect(Collectors.joining(", "));
  }

  /** The one line made above; never null, where {@link Throwable#getMessage} may be. */
  @Override
  public String getMessage() {
    return message;
  }

  public HubException hubError() {
    return hubError;
  }

  public List<Sync.Step> done() {
    return done;
  }

  public List<Sync.Step> notDone() {
    return notDone;
  }
}
