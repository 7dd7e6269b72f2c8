package dev.hfwebhooks.hub;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A file to have in a Space's repository: its path there and its bytes.
 *
 * @param path where it goes, with {@code /} between folders ({@code handlers/push.js})
 * @param content its bytes
 */
@SuppressWarnings("ArrayRecordComponent") // bytes carried, never compared by equals
public record SpaceFile(String path, byte[] content) {

  /**
   * Git's id of the content, {@code sha1("blob <size>\0" + content)}: what the Hub reports as a
   * file's {@code oid}, so an unchanged file is known without sending it (huggingface_hub's
   * preupload does the same).
   */
  public String gitOid() {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha1.digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-1", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpaceFile f
        && f.path.equals(path)
        && java.util.Arrays.equals(f.content, content);
  }

  @Override
  public int hashCode() {
    return path.hashCode() * 31 + java.util.Arrays.hashCode(content);
  }

  @Override
  public String toString() {
    return path + " (" + content.length + " bytes)";
  }
}
