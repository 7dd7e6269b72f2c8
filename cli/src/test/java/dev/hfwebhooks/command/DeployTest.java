package dev.hfwebhooks.command;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hfwebhooks.command.CliTest.Run;
import dev.hfwebhooks.deploy.SpaceFiles;
import dev.hfwebhooks.testing.FakeHub;
import dev.hfwebhooks.testing.FakeSpaces;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** {@code deploy} in-process against the fake Hub, from a first deploy to each Hub error. */
class DeployTest {
  private static final String SPACE = "acme/hooks";
  private static final String BASE = "https://acme-hooks.hf.space";

  @TempDir Path dir;
  @TempDir Path home;
  private FakeHub fake;

  @BeforeEach
  void start() throws Exception {
    fake = FakeHub.start();
    write(dir, "push.js", "// @watch model:acme/sentiment-model\nfunction handle() {}\n");
    write(dir, "review.sh", "#!/bin/sh\n# @watch dataset:acme/reviews\n# @domains discussion\n")
        .toFile()
        .setExecutable(true);
    write(dir, "quiet.sh", "#!/bin/sh\necho '{}'\n").toFile().setExecutable(true);
    write(dir, "requirements.txt", "pydantic\n");
    Files.createDirectories(dir.resolve("__pycache__"));
    write(dir, "__pycache__/x.cpython-311.pyc", "compiled");
    write(dir, ".env", "SECRET=not-for-the-space");
  }

  @AfterEach
  void stop() {
    fake.close();
  }

  private Map<String, String> env() {
    return Map.of("HF_ENDPOINT", fake.url(), "HF_TOKEN", FakeHub.TOKEN, "HOME", home.toString());
  }

  private Run deploy(String... more) {
    return deploy(env(), more);
  }

  private Run deploy(Map<String, String> env, String... more) {
    String[] args =
        Stream.concat(
                Stream.of("deploy", SPACE, "--dir", dir.toString(), "--poll-interval", "1ms"),
                Stream.of(more))
            .toArray(String[]::new);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = HfWebhooksCommand.commandLine(env);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    Run run = new Run(exit, out.toString(), err.toString());
    assertThat(run.out() + run.err()).as("the token never shows").doesNotContain(FakeHub.TOKEN);
    return run;
  }

  private FakeSpaces.Space space() {
    return fake.spaces().space(SPACE);
  }

  private JsonNode webhookFor(String handler) {
    return fake.webhooks().stream()
        .filter(w -> w.path("url").asText().equals(BASE + "/webhooks/" + handler))
        .findFirst()
        .orElse(null);
  }

  private String rememberedSecret() throws Exception {
    return Files.readString(home.resolve(".config/hf-webhooks/spaces/127.0.0.1/acme/hooks.secret"))
        .strip();
  }

  @Test
  void aFirstDeployCreatesTheSpaceSetsItsSecretUploadsWaitsAndRegisters() throws Exception {
    Run run = deploy();

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("Creating Space acme/hooks (Docker)... created\n")
        .contains(
            "Setting the secret WEBHOOK_SECRET... done (generated; the Space and the webhooks"
                + " share it)\n")
        .containsPattern(
            "Uploading 6 files \\(README.md, Dockerfile, handlers/... \\(4\\)\\)... commit [0-9a-f]{7}\n")
        .contains("Building... building, starting, running (")
        .contains("Registering webhooks on " + BASE + ": created push, created review\n")
        .endsWith(BASE + "  (console at /, deliveries at /api/deliveries)\n");
    FakeSpaces.Space space = space();
    assertThat(space.isPrivate).isFalse();
    assertThat(space.files.keySet())
        .containsExactly(
            ".gitattributes",
            "Dockerfile",
            "README.md",
            "handlers/push.js",
            "handlers/quiet.sh",
            "handlers/requirements.txt",
            "handlers/review.sh");
    assertThat(space.file("README.md"))
        .startsWith("---\ntitle: hooks\nsdk: docker\napp_port: 7860\n");
    assertThat(space.file("Dockerfile"))
        .contains("FROM " + SpaceFiles.defaultImage() + "\n")
        .contains("COPY --chown=1000:1000 handlers/ /app/handlers/\n")
        .contains("pip install --no-cache-dir -r /app/handlers/requirements.txt")
        .contains(
            "RUN [\"chmod\", \"+x\", \"/app/handlers/quiet.sh\", \"/app/handlers/review.sh\"]\n");
    String secret = space.secrets.get("WEBHOOK_SECRET");
    assertThat(secret).matches("[0-9a-f]{64}").isEqualTo(rememberedSecret());
    assertThat(webhookFor("push").path("secret").asText()).isEqualTo(secret);
    assertThat(webhookFor("review").path("domains").toString()).isEqualTo("[\"discussion\"]");
    assertThat(webhookFor("quiet")).as("no @watch").isNull();
    assertThat(
            Files.getPosixFilePermissions(
                home.resolve(".config/hf-webhooks/spaces/127.0.0.1/acme/hooks.secret")))
        .map(Object::toString)
        .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
    FakeHub.Call create = fake.calls("POST").getFirst();
    assertThat(create.path()).isEqualTo("/api/repos/create");
    assertThat(create.json().toString())
        .isEqualTo(
            "{\"name\":\"hooks\",\"organization\":\"acme\",\"type\":\"space\",\"sdk\":\"docker\","
                + "\"visibility\":\"public\"}");
  }

  @Test
  void deployingAgainUnchangedCommitsNothingRebuildsNothingAndSetsNothing() throws Exception {
    assertThat(deploy().exit()).isZero();
    int changes = fake.changes().size();
    fake.spaces().pageTreesBy(2); // the listing now takes several pages

    Run again = deploy();

    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out())
        .contains("Creating Space acme/hooks (Docker)... exists\n")
        .contains("Setting the secret WEBHOOK_SECRET... unchanged (kept from the last deploy)\n")
        .contains("Uploading... up to date (no commit)\n")
        .contains("Building... running (")
        .contains("Registering webhooks on " + BASE + ": unchanged push, unchanged review\n");
    assertThat(fake.changes()).hasSize(changes);
    assertThat(space().commits).hasSize(1);
  }

  @Test
  void aChangedHandlerIsCommittedAndADeletedOneDeletedWithItsWebhook() throws Exception {
    assertThat(deploy().exit()).isZero();
    write(dir, "push.js", "// @watch model:acme/sentiment-model\nfunction handle() { return 1 }\n");
    Files.delete(dir.resolve("review.sh"));

    Run run = deploy();

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains(
            "Uploading 2 files (Dockerfile, handlers/push.js), deleting handlers/review.sh..."
                + " commit ")
        .contains("Registering webhooks on " + BASE + ": unchanged push, deleted review\n");
    assertThat(space().commits).hasSize(2);
    assertThat(space().files).doesNotContainKey("handlers/review.sh");
    assertThat(space().file("handlers/push.js")).contains("return 1");
    assertThat(space().file("Dockerfile")).doesNotContain("review.sh");
    assertThat(webhookFor("review")).isNull();
  }

  @Test
  void aBuildErrorShowsTheLogsTailAndExits1WithoutRegistering() {
    fake.spaces()
        .failNextBuild(
            "Build failed with exit code: 1",
            List.of(
                "Step 3/4 : RUN pip install -r requirements.txt",
                "ERROR: No matching distribution found for torch==9"));

    Run run = deploy();

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out())
        .contains("Building... building, build failed\n")
        .contains("The build log ends:\n  | Step 3/4 : RUN pip install -r requirements.txt\n")
        .contains("  | ERROR: No matching distribution found for torch==9\n")
        .doesNotContain("Registering");
    assertThat(run.err())
        .isEqualTo(
            "error: the Space acme/hooks failed to build (BUILD_ERROR: Build failed with exit code:"
                + " 1); fix it and deploy again, the whole log is at "
                + fake.url()
                + "/spaces/acme/hooks?logs=build\n");
    assertThat(fake.webhooks()).isEmpty();
  }

  @Test
  void aPausedSpaceIsReportedAndASleepingOneIsFine() {
    assertThat(deploy().exit()).isZero();
    space().stage("PAUSED");

    Run paused = deploy();

    assertThat(paused.exit()).isEqualTo(1);
    assertThat(paused.out()).contains("Building... paused\n").doesNotContain("Registering");
    assertThat(paused.err())
        .isEqualTo(
            "error: the Space acme/hooks is PAUSED: restart it from its page, "
                + fake.url()
                + "/spaces/acme/hooks, then deploy again\n");

    space().stage("SLEEPING");
    Run sleeping = deploy();

    assertThat(sleeping.exit()).as(sleeping.err()).isZero();
    assertThat(sleeping.out()).contains("Building... sleeping (the first request wakes it)\n");
  }

  @Test
  void aDryRunReadsButChangesNothing() {
    Run fresh = deploy("--dry-run");

    assertThat(fresh.exit()).as(fresh.err()).isZero();
    assertThat(fresh.out())
        .contains("Checking Space acme/hooks (Docker)... would create it (public)\n")
        .contains("Setting the secret WEBHOOK_SECRET... would set it (generated)\n")
        .contains("Uploading 6 files (README.md, Dockerfile, handlers/... (4))... would commit\n")
        .contains("Building... would wait for the Space to build and run\n")
        .contains("Registering webhooks on " + BASE + ": would create push, would create review\n");
    assertThat(fake.changes()).isEmpty();
    assertThat(home.resolve(".config")).doesNotExist();

    assertThat(deploy().exit()).isZero();
    int changes = fake.changes().size();
    write(dir, "new.sh", "#!/bin/sh\n# @watch org:acme\n");
    Run changed = deploy("--dry-run");

    assertThat(changed.out())
        .contains("Uploading 2 files (Dockerfile, handlers/new.sh)... would commit\n")
        .contains(": would create new, unchanged push, unchanged review\n");
    assertThat(fake.changes()).hasSize(changes);
  }

  @Test
  void aPrivateSpaceIsCreatedPrivateWithAWarningThatTheHubCannotDeliverToIt() {
    Run run = deploy("--private", "--no-register");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(space().isPrivate).isTrue();
    assertThat(run.out())
        .contains("warning: the Hub cannot deliver webhooks to a private Space")
        .doesNotContain("Registering");
    assertThat(fake.webhooks()).isEmpty();
  }

  @Test
  void anotherMachineKeepsTheSecretTheSpacesWebhooksCarry() throws Exception {
    assertThat(deploy().exit()).isZero();
    String secret = space().secrets.get("WEBHOOK_SECRET");
    Map<String, String> elsewhere = new HashMap<>(env());
    elsewhere.put("HOME", home.resolve("elsewhere").toString());

    Run run = deploy(elsewhere);

    assertThat(run.out())
        .contains(
            "Setting the secret WEBHOOK_SECRET... unchanged (kept from the Space's webhooks)\n");
    assertThat(space().secrets.get("WEBHOOK_SECRET")).isEqualTo(secret);
  }

  @Test
  void aNewSecretIsSetOnTheSpaceAndItsWebhooks() {
    assertThat(deploy().exit()).isZero();

    Run run = deploy("--secret", "rotated-secret");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("done (from --secret; the Space and the webhooks share it)")
        .contains("Uploading... up to date (no commit)\n")
        .contains("Building... starting, running (")
        .contains(": updated push, updated review\n");
    assertThat(space().secrets.get("WEBHOOK_SECRET")).isEqualTo("rotated-secret");
    assertThat(webhookFor("push").path("secret").asText()).isEqualTo("rotated-secret");
  }

  @Test
  void aBranchThatMovedMeanwhileIsReadAgainAndCommittedOnce() {
    fake.answer(
        c -> c.path().endsWith("/commit/main"),
        412,
        Map.of(),
        "{\"error\":\"The branch was updated since you opened this page.\"}");

    Run run = deploy("--no-register");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("the Space changed meanwhile; again\nUploading 6 files");
    assertThat(space().commits).hasSize(1);
  }

  @Test
  void aFileTheHubWantsThroughLfsIsRefusedBeforeAnyCommit() {
    write(dir, "model.bin", "weights\0\0\0");

    Run run = deploy();

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .startsWith(
            "error: the Hub takes handlers/model.bin only through Git LFS, which deploy does not send");
    assertThat(run.out()).contains("(README.md, Dockerfile, handlers/... (5))... failed\n");
    assertThat(space().commits).isEmpty();
  }

  static Stream<Arguments> hubErrors() {
    return Stream.of(
        Arguments.of(
            "no token",
            (Prepare) (fake, env) -> env.remove("HF_TOKEN"),
            2,
            "error: no Hugging Face token (looked in HF_TOKEN and "),
        Arguments.of(
            "401",
            (Prepare) (fake, env) -> env.put("HF_TOKEN", "hf_wrong"),
            2,
            "error: the Hub refused the token from HF_TOKEN (401: Invalid credentials in"
                + " Authorization header): it is wrong, expired or revoked;"),
        Arguments.of(
            "402",
            (Prepare)
                (fake, env) ->
                    fake.answer(
                        c -> c.path().equals("/api/repos/create"),
                        402,
                        Map.of(),
                        "{\"error\":\"Docker Spaces require a PRO subscription\"}"),
            2,
            "error: the Hub will not create the Docker Space acme/hooks on your plan (402: Docker"
                + " Spaces require a PRO subscription): Docker Spaces need a PRO or Team account"),
        Arguments.of(
            "403",
            (Prepare) (fake, env) -> env.put("HF_TOKEN", FakeHub.READ_TOKEN),
            2,
            "error: the token from HF_TOKEN may not create the Docker Space acme/hooks (403: You"
                + " don't have write access to this repository with this token): use a token with"
                + " write access"),
        Arguments.of(
            "404",
            (Prepare)
                (fake, env) ->
                    fake.answer(
                        c -> c.path().equals("/api/repos/create"), 404, Map.of(), "Not Found"),
            2,
            "error: the Hub cannot create the Docker Space acme/hooks (404: Not Found): is"
                + " HF_ENDPOINT ("),
        Arguments.of(
            "409 answered, yet no Space",
            (Prepare)
                (fake, env) ->
                    fake.answer(
                        c -> c.path().endsWith("/secrets"),
                        404,
                        Map.of("X-Error-Code", "RepoNotFound"),
                        "{\"error\":\"Repository not found\"}"),
            2,
            "error: the Hub cannot set the secret WEBHOOK_SECRET of acme/hooks (404: Repository not"
                + " found)"),
        Arguments.of(
            "412 twice",
            (Prepare)
                (fake, env) -> {
                  for (int i = 0; i < 2; i++) {
                    fake.answer(
                        c -> c.path().endsWith("/commit/main"),
                        412,
                        Map.of(),
                        "{\"error\":\"The branch was updated\"}");
                  }
                },
            1,
            "error: the Hub refused to commit to acme/hooks (412: The branch was updated): someone"
                + " else changed it meanwhile; run again"),
        Arguments.of(
            "429",
            (Prepare)
                (fake, env) ->
                    fake.answer(
                        c -> c.path().endsWith("/preupload/main"),
                        429,
                        Map.of("Retry-After", "30"),
                        "{\"error\":\"Too many requests\"}"),
            1,
            "error: rate limited by the Hub while trying to prepare the upload to acme/hooks (429:"
                + " Too many requests): try again in 30 s"));
  }

  interface Prepare {
    void apply(FakeHub fake, Map<String, String> env);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hubErrors")
  void eachHubErrorIsOneLineWithWhatToDo(String name, Prepare prepare, int exit, String message) {
    Map<String, String> env = new HashMap<>(env());
    prepare.apply(fake, env);

    Run run = deploy(env);

    assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(exit);
    assertThat(run.err()).startsWith(message).endsWith("\n");
    assertThat(run.out()).as("every line ends").matches("(?s)(.*\n)?");
    assertThat(run.err().strip()).doesNotContain("\n");
  }

  @Test
  void exportWritesTheSpacesFilesAndCallsNoHub() throws Exception {
    Path out = home.resolve("space");

    Run run =
        deploy(
            Map.of("HOME", home.toString()),
            "--export",
            out.toString(),
            "--image",
            "localhost/hf-webhooks:test");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("Wrote 6 files to " + out);
    assertThat(Files.readString(out.resolve("Dockerfile")))
        .contains("FROM localhost/hf-webhooks:test\n");
    assertThat(Files.isExecutable(out.resolve("handlers/review.sh"))).isTrue();
    assertThat(Files.isExecutable(out.resolve("handlers/push.js"))).isFalse();
    assertThat(out.resolve("handlers/.env")).doesNotExist();
    assertThat(out.resolve("handlers/__pycache__")).doesNotExist();
    assertThat(fake.calls()).isEmpty();
    assertThat(deploy(Map.of("HOME", home.toString()), "--export", out.toString()).err())
        .isEqualTo("error: --export " + out + " is not empty: give a new or empty folder\n");
  }

  @Test
  void badInputIsAUsageErrorBeforeAnyCall() {
    assertThat(deploy("--secret", "").err()).startsWith("error: --secret is empty");
    assertThat(deploy("--private", "--public").exit()).isEqualTo(2);
    assertThat(deploy("--image", "two words").err())
        .startsWith("error: --image \"two words\" is not an image name");
    write(dir, "bad.js", "// @watch nonsense\nfunction handle() {}\n");
    assertThat(deploy().err()).contains("bad.js line 1:");
    assertThat(fake.calls()).isEmpty();
  }
}
