package dev.hfwebhooks.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hfwebhooks.journal.DeliveryBusy;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.payload.Json;
import dev.hfwebhooks.payload.PayloadException;
import org.jspecify.annotations.Nullable;

/** A request refused before any handler ran: one status and a short JSON body. */
final class HttpError extends Exception {
  private final int status;
  private final ObjectNode body;

  /** {@code message} may be null only as an exception's message may ({@link #of}). */
  private HttpError(int status, @Nullable String message, ObjectNode body) {
    super(message, null, false, false);
    this.status = status;
    this.body = body.put("error", message);
  }

  HttpError(int status, @Nullable String message) {
    this(status, message, Json.object());
  }

  static HttpError notFound(String name) {
    return new HttpError(404, "No webhook named \"" + name + "\" on this server.");
  }

  /** The exact body huggingface_hub answers, so clients written against it keep working. */
  static HttpError secretMissing() {
    return new HttpError(401, "x-webhook-secret header not set.");
  }

  static HttpError secretWrong() {
    return new HttpError(403, "Invalid webhook secret.");
  }

  static HttpError tooLarge(long limit) {
    return new HttpError(
        413, "Body is larger than the limit of " + ByteCount.format(limit) + " (--max-body).");
  }

  /** 400 for a body that is not JSON, 422 (with each bad field) for an invalid payload. */
  static HttpError of(PayloadException e) {
    if (!e.isInvalidPayload()) {
      return new HttpError(400, e.getMessage());
    }
    ObjectNode body = Json.object();
    var problems = body.putArray("problems");
    e.problems()
        .forEach(p -> problems.addObject().put("field", p.field()).put("message", p.message()));
    return new HttpError(422, e.getMessage(), body);
  }

  /**
   * 409 for a replay of a delivery a server has queued or running, 503 for a journal that cannot be
   * written.
   */
  static HttpError of(JournalException e) {
    return e instanceof DeliveryBusy
        ? new HttpError(409, e.getMessage())
        : new HttpError(503, "The journal cannot be written: " + e.getMessage());
  }

  int status() {
    return status;
  }

  String json() {
    return Json.write(body);
  }
}
