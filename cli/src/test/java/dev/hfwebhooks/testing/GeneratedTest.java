package dev.hfwebhooks.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shrinkers: the candidates in order, made one at a time. */
class GeneratedTest {

  @Test
  void shorterTextsTakeOutTheLongestRunsFirst() {
    assertThat(Generated.shrinkText("abcdef"))
        .containsExactly(
            "def", "abc", // runs of 3, then of 1
            "bcdef", "acdef", "abdef", "abcef", "abcdf", "abcde", "abcde"); // and the last one off
    assertThat(Generated.shrinkText("")).isEmpty();
  }

  @Test
  void shorterBytesAreTheShorterTextsBytes() {
    List<byte[]> bytes = Generated.shrinkBytes("abcdef".getBytes(StandardCharsets.UTF_8));
    List<String> texts = Generated.shrinkText("abcdef");
    assertThat(bytes).hasSameSizeAs(texts);
    for (int i = 0; i < texts.size(); i++) {
      assertThat(new String(bytes.get(i), StandardCharsets.UTF_8)).isEqualTo(texts.get(i));
    }
  }

  @Test
  void aLargeInputsCandidatesAreNotMadeAllAtOnce() {
    // Made whole, these would be 9,961,471 candidates of about 5 MB each.
    List<byte[]> candidates = Generated.shrinkBytes(new byte[5 << 20]);
    assertThat(candidates.size()).isEqualTo(9_961_471);
    assertThat(candidates.get(0)).hasSize(5 << 19);
  }
}
