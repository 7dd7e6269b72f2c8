package dev.hfwebhooks.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Space's Dockerfile starts from the image a release really publishes. */
class SpaceFilesTest {
  /** The repository root: the tests run in cli/. */
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void theImageRepositoryIsTheOneJreleaserPushesTo() throws Exception {
    String release = Files.readString(ROOT.resolve("jreleaser.yml"));
    Matcher owner =
        Pattern.compile("(?m)^release:\\n  github:\\n(?:    .*\\n)*?    owner: (\\S+)")
            .matcher(release);
    assertThat(owner.find()).as("release.github.owner in jreleaser.yml").isTrue();
    assertThat(release).contains("- \"{{repoOwner}}/hf-webhooks:{{projectVersion}}\"");
    assertThat(release).contains("server: ghcr.io");

    assertThat(SpaceFiles.IMAGE_REPOSITORY).isEqualTo("ghcr.io/" + owner.group(1) + "/hf-webhooks");
  }

  @Test
  void aReleaseUsesItsVersionsTagAndASnapshotTheEarlyAccessImage() {
    assertThat(SpaceFiles.tag("0.1.0")).isEqualTo("0.1.0");
    assertThat(SpaceFiles.tag("0.2.0-SNAPSHOT")).isEqualTo("early-access");
    assertThat(SpaceFiles.tag("")).isEqualTo("early-access");
    assertThat(SpaceFiles.defaultImage()).startsWith(SpaceFiles.IMAGE_REPOSITORY + ":");
  }
}
