package dev.hfwebhooks.server;

import dev.hfwebhooks.handler.Handler;
import dev.hfwebhooks.journal.JournalException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Deliveries the journal could not record: each gets a 503 that says why, and the log says so once
 * per spell (a full disk refuses every delivery alike: a line each would flood the log, and the
 * disk), then once more when deliveries are recorded again.
 */
final class Refusals {
  private final ServerLog log;

  /** Deliveries refused since the last one recorded; 0 while deliveries are recorded. */
  private final AtomicLong refused = new AtomicLong();

  Refusals(ServerLog log) {
    this.log = log;
  }

  /** The 503 for a delivery to {@code handler} the journal refused with {@code e}. */
  HttpError refuse(Handler handler, JournalException e) {
    if (refused.getAndIncrement() == 0) {
      log.info(
          ("POST /webhooks/%s: cannot record the delivery: %s; deliveries are answered 503 until"
                  + " they can be recorded (said once)")
              .formatted(handler.name(), e.getMessage()));
    }
    String reason = reason(e);
    return new HttpError(
        503,
        "The delivery could not be recorded%s; send it again in a moment."
            .formatted(reason == null ? "" : " (" + reason + ")"));
  }

  /** A delivery was recorded: ends a spell of refusals, and says so. */
  void recorded() {
    if (refused.get() != 0) { // a read of one field on every delivery: the usual case
      long was = refused.getAndSet(0);
      if (was > 0) {
        log.info("deliveries are recorded again (%d refused with 503 meanwhile)".formatted(was));
      }
    }
  }

  /**
   * The system's words for why the disk refused ("No space left on device"), which tell the sender
   * it is not their delivery's fault; null when it was no disk error.
   */
  private static @Nullable String reason(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof FileSystemException fs && fs.getReason() != null) {
        return fs.getReason();
      }
      if (cause instanceof IOException io && io.getMessage() != null) {
        return io.getMessage();
      }
    }
    return null;
  }
}
