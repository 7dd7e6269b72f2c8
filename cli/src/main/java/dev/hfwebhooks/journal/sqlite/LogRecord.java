package dev.hfwebhooks.journal.sqlite;

import dev.hfwebhooks.journal.AttemptResult;
import dev.hfwebhooks.journal.NewDelivery;
import dev.hfwebhooks.journal.Status;
import dev.hfwebhooks.journal.Trigger;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A write to the journal as its {@link JournalLog} holds it until the database has it: a delivery
 * received, an attempt started, or an attempt ended. Encoded by hand in a small binary form,
 * because serve writes two or three per delivery, on the request's or the worker's own thread.
 */
sealed interface LogRecord {

  /**
   * A delivery accepted: {@code running} (its first attempt starts now, synchronous serve) or
   * queued for a worker ({@code --async}).
   */
  record Received(NewDelivery delivery, boolean running) implements LogRecord {}

  /**
   * Attempt {@code number} of delivery {@code id} started: numbered from the delivery as its
   * starter read it (from the log's record, or from the database once it had every logged write for
   * it). Should another process have taken that number meanwhile, the database gives it the next
   * one.
   */
  record Started(String id, int number, Trigger trigger, Instant started) implements LogRecord {}

  /**
   * How attempt {@code number} of delivery {@code id} ended, and where the delivery now stands.
   * {@code started} is the start of an attempt logged by a {@link Started} (null for the first
   * attempt of a synchronous delivery): it finds the attempt should its number have changed.
   */
  record Finished(
      String id, int number, AttemptResult result, Status next, @Nullable Instant started)
      implements LogRecord {
    Finished(String id, int number, AttemptResult result, Status next) {
      this(id, number, result, next, null);
    }
  }

  byte RECEIVED = 1;
  byte FINISHED = 2;
  byte STARTED = 3;
  byte FINISHED_STARTED = 4; // a Finished with its start: FINISHED's fields, then the start

  /** The delivery the record is about. */
  default String deliveryId() {
    if (this instanceof Received received) {
      return received.delivery().id();
    }
    return this instanceof Started started ? started.id() : ((Finished) this).id();
  }

  /** The record as bytes, after {@code reserve} zero bytes left for the caller's own header. */
  default byte[] encode(int reserve) {
    // Sized for the body at once: growing past it would copy the body again on a delivery's path.
    int body = this instanceof Received received ? received.delivery().body().length : 0;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(reserve + 256 + body);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(new byte[reserve]);
      if (this instanceof Received received) {
        NewDelivery d = received.delivery();
        out.writeByte(RECEIVED);
        out.writeBoolean(received.running());
        writeString(out, d.id());
        out.writeLong(d.received().toEpochMilli());
        writeString(out, d.handler());
        out.writeInt(d.headers().size());
        for (Map.Entry<String, String> header : d.headers().entrySet()) {
          writeString(out, header.getKey());
          writeString(out, header.getValue());
        }
        out.writeInt(d.body().length);
        out.write(d.body());
      } else if (this instanceof Started started) {
        out.writeByte(STARTED);
        writeString(out, started.id());
        out.writeInt(started.number());
        writeString(out, started.trigger().label());
        out.writeLong(started.started().toEpochMilli());
      } else if (this instanceof Finished finished) {
        AttemptResult r = finished.result();
        out.writeByte(finished.started() == null ? FINISHED : FINISHED_STARTED);
        writeString(out, finished.id());
        out.writeInt(finished.number());
        writeString(out, r.status().label());
        out.writeInt(r.exitStatus() == null ? Integer.MIN_VALUE : r.exitStatus());
        out.writeLong(r.durationMs());
        writeString(out, r.error());
        writeString(out, r.output());
        writeString(out, r.stderr());
        writeString(out, finished.next().label());
        if (finished.started() != null) {
          out.writeLong(finished.started().toEpochMilli());
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory cannot fail", e);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads what {@link #encode} wrote (without the reserved bytes), or returns null when the bytes
   * are not such a record: a damaged one whose CRC still held, or one a later version wrote.
   * Strict, so that such bytes are never applied as a record that merely looks odd.
   */
  static @Nullable LogRecord decodeOrNull(byte[] bytes) {
    try {
      return decode(bytes);
    } catch (IOException | IllegalArgumentException e) {
      return null; // a label no status or trigger has
    }
  }

  /** {@link #decodeOrNull}, throwing instead of returning null. */
  static LogRecord decode(byte[] bytes) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    LogRecord record = decodeFields(in);
    if (in.available() != 0) {
      throw new IOException(in.available() + " bytes after the record");
    }
    return record;
  }

  private static LogRecord decodeFields(DataInputStream in) throws IOException {
    byte type = in.readByte();
    return switch (type) {
      case RECEIVED -> {
        boolean running = in.readBoolean();
        String id = readText(in);
        Instant received = Instant.ofEpochMilli(in.readLong());
        String handler = readText(in);
        int count = readLength(in);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
          headers.put(readText(in), readText(in));
        }
        byte[] body = in.readNBytes(readLength(in));
        yield new Received(new NewDelivery(id, received, handler, body, headers), running);
      }
      case STARTED ->
          new Started(
              readText(in),
              in.readInt(),
              Trigger.parse(readText(in)),
              Instant.ofEpochMilli(in.readLong()));
      case FINISHED, FINISHED_STARTED -> {
        String id = readText(in);
        int number = in.readInt();
        Status status = Status.parse(readText(in));
        int exit = in.readInt();
        long duration = in.readLong();
        AttemptResult result =
            new AttemptResult(
                status,
                exit == Integer.MIN_VALUE ? null : exit,
                duration,
                readString(in),
                readString(in),
                readString(in));
        Status next = Status.parse(readText(in));
        Instant started = type == FINISHED_STARTED ? Instant.ofEpochMilli(in.readLong()) : null;
        yield new Finished(id, number, result, next, started);
      }
      default -> throw new IOException("unknown record type " + type);
    };
  }

  /** A length (-1 for null) and UTF-8: no 64 KB limit, unlike {@code writeUTF}. */
  private static void writeString(DataOutputStream out, @Nullable String s) throws IOException {
    if (s == null) {
      out.writeInt(-1);
      return;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  private static @Nullable String readString(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length == -1) {
      return null;
    }
    if (length < 0 || length > in.available()) {
      throw new IOException("a string of " + length + " bytes in " + in.available());
    }
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  /** A string that is never null where it was written. */
  private static String readText(DataInputStream in) throws IOException {
    String s = readString(in);
    if (s == null) {
      throw new IOException("no text where the record has some");
    }
    return s;
  }

  /** A count or size, which the bytes left must be able to hold. */
  private static int readLength(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new IOException("a length of " + length + " in " + in.available() + " bytes");
    }
    return length;
  }
}
