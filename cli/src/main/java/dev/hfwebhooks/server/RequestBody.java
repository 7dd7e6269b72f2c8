package dev.hfwebhooks.server;

import io.javalin.http.Context;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.jspecify.annotations.Nullable;

/** A webhook request's body, read within {@code --max-body}: whole, or skipped before a refusal. */
final class RequestBody {
  private RequestBody() {}

  /**
   * Reads at most the limit plus one byte, so an oversized body costs no more than the limit even
   * when it lies about (or omits) its Content-Length.
   */
  static byte[] read(Context ctx, long limit) throws HttpError {
    if (ctx.req().getContentLengthLong() > limit) {
      throw HttpError.tooLarge(limit);
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
      if (body.length > limit) {
        throw HttpError.tooLarge(limit);
      }
      return body;
    } catch (IOException e) {
      throw new HttpError(400, "Body could not be read: " + e.getMessage());
    }
  }

  /**
   * The most a refusal reads and drops of a body it did not need, as Tomcat's {@code
   * maxSwallowSize} (2 MiB by default): a Hub payload over {@code --max-body} still gets its 413.
   */
  static final long MAX_SKIPPED = 2 << 20;

  /**
   * How long a refusal waits for the rest of a body. A sender's body arrives in milliseconds; one
   * that trickles in (or never comes) would otherwise hold a request thread for as long as it
   * likes, which a caller without the secret could never do before the skipping: past this, its
   * connection is closed instead.
   */
  static final Duration MAX_SKIP_TIME = Duration.ofSeconds(3);

  /** Closes the connections whose skipping ran past {@link #MAX_SKIP_TIME}. */
  private static final class Cutter {
    static final ScheduledExecutorService TIMER =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("hf-webhooks-body-cutter").factory());
  }

  /**
   * Reads and drops what is left of the body before a refusal is sent. A refusal decided from the
   * headers (wrong secret, unknown webhook, a body declared too large) leaves the body unread, and
   * Jetty then closes the connection at once: the client's RST can overtake the answer, so the
   * sender sees a reset instead of the 403 or 413 that says what is wrong. At most {@link
   * #MAX_SKIPPED} is read, for at most {@link #MAX_SKIP_TIME}; a body declared larger is left, and
   * Jetty closes that connection as it should.
   *
   * @return null when the answer may be sent, else why it cannot reach the client
   */
  static @Nullable String skipRest(Context ctx) {
    if (ctx.req().getContentLengthLong() > MAX_SKIPPED) {
      return null;
    }
    try {
      ServletInputStream in = ctx.req().getInputStream();
      if (in.isFinished()) {
        return null;
      }
      EndPoint endPoint =
          ServletContextRequest.getServletContextRequest(ctx.req())
              .getConnectionMetaData()
              .getConnection()
              .getEndPoint();
      AtomicBoolean cut = new AtomicBoolean();
      ScheduledFuture<?> cutting =
          Cutter.TIMER.schedule(
              () -> {
                cut.set(true);
                endPoint.close();
              },
              MAX_SKIP_TIME.toMillis(),
              TimeUnit.MILLISECONDS);
      try {
        byte[] buffer = new byte[8192];
        long left = MAX_SKIPPED;
        while (left > 0 && !in.isFinished()) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
          if (n < 0) {
            break;
          }
          left -= n;
        }
        return null;
      } catch (IOException e) {
        return cut.get()
            ? "its body did not arrive within %d s: connection closed"
                .formatted(MAX_SKIP_TIME.toSeconds())
            : "the body could not be read: " + e;
      } finally {
        cutting.cancel(false);
      }
    } catch (IOException e) {
      return "the body could not be read: " + e;
    }
  }
}
