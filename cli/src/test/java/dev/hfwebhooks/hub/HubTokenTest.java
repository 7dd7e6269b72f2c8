package dev.hfwebhooks.hub;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token and endpoint are found where huggingface_hub finds them. */
class HubTokenTest {
  @TempDir Path home;

  @Test
  void hfTokenComesFirstThenTheLoginFileUnderHfHome() throws Exception {
    Path hfHome = home.resolve("hf");
    Files.createDirectories(hfHome);
    write(hfHome, "token", "hf_fromFile\n");

    assertThat(HubToken.find(Map.of("HF_TOKEN", " hf_fromEnv ", "HF_HOME", hfHome.toString())))
        .contains(new HubToken("hf_fromEnv", "HF_TOKEN"));
    assertThat(HubToken.find(Map.of("HF_HOME", hfHome.toString())))
        .contains(new HubToken("hf_fromFile", hfHome.resolve("token").toString()));
    assertThat(HubToken.find(Map.of("HF_TOKEN", "", "HF_HOME", hfHome.toString())))
        .as("an empty variable is no token")
        .contains(new HubToken("hf_fromFile", hfHome.resolve("token").toString()));
  }

  @Test
  void withoutHfHomeTheFileIsInTheCacheFolder() throws Exception {
    Path cache = home.resolve(".cache/huggingface");
    Files.createDirectories(cache);
    write(cache, "token", "hf_default");
    Path xdg = home.resolve("xdg/huggingface");
    Files.createDirectories(xdg);
    write(xdg, "token", "hf_xdg");

    assertThat(HubToken.find(Map.of("HOME", home.toString())).map(HubToken::value))
        .contains("hf_default");
    assertThat(
            HubToken.find(
                    Map.of(
                        "HOME", home.toString(), "XDG_CACHE_HOME", home.resolve("xdg").toString()))
                .map(HubToken::value))
        .contains("hf_xdg");
    assertThat(
            HubToken.find(
                    Map.of(
                        "HOME",
                        home.toString(),
                        "HF_TOKEN_PATH",
                        home.resolve("xdg/huggingface/token").toString()))
                .map(HubToken::value))
        .contains("hf_xdg");
  }

  @Test
  void noTokenSaysWhereItLookedAndHowToGetOne() {
    assertThatThrownBy(() -> HubToken.require(Map.of("HOME", home.toString())))
        .isInstanceOfSatisfying(
            HubException.class, e -> assertThat(e.kind()).isEqualTo(HubException.Kind.NO_TOKEN))
        .hasMessage(
            "no Hugging Face token (looked in HF_TOKEN and "
                + home.resolve(".cache/huggingface/token")
                + "): create one with write access at https://huggingface.co/settings/tokens,"
                + " then run `huggingface-cli login` (or `hf auth login`), or set HF_TOKEN");
  }

  @Test
  void theTokenNeverShowsInItsDescription() {
    assertThat(new HubToken("hf_secretvalue", "HF_TOKEN").toString())
        .isEqualTo("HubToken[from HF_TOKEN]");
  }

  @Test
  void theEndpointIsHfEndpointWithoutItsSlashElseThePublicHub() throws Exception {
    assertThat(HubClient.endpoint(Map.of())).isEqualTo("https://huggingface.co");
    assertThat(HubClient.endpoint(Map.of("HF_ENDPOINT", "https://hub-ci.huggingface.co/")))
        .isEqualTo("https://hub-ci.huggingface.co");
    assertThatThrownBy(() -> HubClient.endpoint(Map.of("HF_ENDPOINT", "hub.example.com")))
        .isInstanceOf(HubException.class)
        .hasMessageStartingWith("HF_ENDPOINT \"hub.example.com\" is not an http(s) URL");
  }
}
