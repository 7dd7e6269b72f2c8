package dev.hfwebhooks.handler.python;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.payload.Json;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The frames the server and a Python worker exchange (see hf_webhooks_worker.py): one ASCII line
 * {@code KIND META_LENGTH DATA_LENGTH}, then that many bytes of JSON, then that many bytes of data.
 * Lengths rather than JSON lines, so the body and the answer pass as they are, newlines and all.
 */
final class Frames {
  /** Larger than any body the server accepts or answer worth sending; a bigger one is garbage. */
  static final int MAX_PART_BYTES = 64 << 20;

  private static final int MAX_HEADER_BYTES = 64;

  private Frames() {}

  /** One frame: its kind, its JSON part, its data. */
  @SuppressWarnings("ArrayRecordComponent") // bytes carried, never compared by equals
  record Frame(String kind, JsonNode meta, byte[] data) {}

  static void write(OutputStream out, String kind, JsonNode meta, byte[] data) throws IOException {
    byte[] encoded = Json.MAPPER.writeValueAsBytes(meta);
    String header = "%s %d %d\n".formatted(kind, encoded.length, data.length);
    out.write(header.getBytes(StandardCharsets.US_ASCII));
    out.write(encoded);
    out.write(data);
    out.flush();
  }

  /** The next frame, or null at the end of the stream between frames. */
  static @Nullable Frame read(InputStream in) throws IOException {
    ByteArrayOutputStream header = new ByteArrayOutputStream(32);
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        if (header.size() == 0) {
          return null;
        }
        throw new EOFException("the stream ended inside a frame header");
      }
      if (header.size() == MAX_HEADER_BYTES) {
        throw new IOException("not a frame header: " + header.toString(StandardCharsets.US_ASCII));
      }
      header.write(b);
    }
    String[] words = header.toString(StandardCharsets.US_ASCII).split(" ", -1);
    if (words.length != 3) {
      throw new IOException("not a frame header: " + header.toString(StandardCharsets.US_ASCII));
    }
    byte[] meta = part(in, words[1]);
    byte[] data = part(in, words[2]);
    return new Frame(words[0], Json.MAPPER.readTree(meta), data);
  }

  private static byte[] part(InputStream in, String length) throws IOException {
    int size;
    try {
      size = Integer.parseInt(length);
    } catch (NumberFormatException e) {
      throw new IOException("not a frame length: " + length, e);
    }
    if (size < 0 || size > MAX_PART_BYTES) {
      throw new IOException("frame part of " + size + " bytes is out of bounds");
    }
    byte[] bytes = in.readNBytes(size);
    if (bytes.length < size) {
      throw new EOFException("the stream ended inside a frame");
    }
    return bytes;
  }
}
