package dev.hfwebhooks.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** How every route answers: its body written and completed at once, errors as JSON, logged. */
final class Responder {
  private final ServerLog log;

  Responder(ServerLog log) {
    this.log = log;
  }

  /**
   * Writes and completes the response now, where {@code ctx.result} would leave it to Javalin after
   * the route returns. A delivery's answer must be sent before it stops counting as in flight:
   * close() stops Jetty once nothing is in flight, and a stopping Jetty at once expires a
   * connection idle for over a second (as one is after a long handler) and fails a write still
   * pending (a slow client's), so an answer written after that was cut or lost.
   */
  void send(Context ctx, int status, String contentType, String body) {
    ctx.status(status).contentType(contentType);
    try {
      try (OutputStream out = ctx.outputStream()) {
        out.write(body.getBytes(StandardCharsets.UTF_8));
      }
      // Javalin's stream closes only its compressor, when it compressed; Jetty keeps up to 8 KB
      // of an answer until its own stream closes, which completes the response.
      ctx.res().getOutputStream().close();
    } catch (IOException e) {
      log.info(
          "warning: the answer to %s %s could not be sent: %s"
              .formatted(ctx.method(), ctx.path(), e.getMessage()));
    }
  }

  void respond(Context ctx, HttpError error) {
    send(ctx, error.status(), "application/json", error.json());
  }

  /** A bug, not a bad request: logged whole, answered as a JSON 500 like any other error. */
  HttpError internalError(RuntimeException e) {
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    log.info("internal error: " + trace.toString().stripTrailing());
    return new HttpError(500, "Internal error: " + e);
  }

  /** {@code 12 ms}: the time since {@code startNanos}, for log lines. */
  static String millis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000 + " ms";
  }
}
