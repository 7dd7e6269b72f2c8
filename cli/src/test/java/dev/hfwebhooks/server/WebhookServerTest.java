package dev.hfwebhooks.server;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.handler.AnswerCap;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServerHarness;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The real server on port 0, real processes and real GraalVM, through a real HTTP client. */
class WebhookServerTest {
  @TempDir static Path handlers;

  private static final String PUSH = "model-repo-content-update.json";

  @BeforeAll
  static void writeHandlers() {
    write(handlers, "echo.sh", "#!/bin/sh\ncat\n");
    write(handlers, "text.sh", "#!/bin/sh\necho hello from a process\n");
    write(handlers, "silent.sh", "#!/bin/sh\ncat > /dev/null\n");
    write(handlers, "fail.sh", "#!/bin/sh\necho boom >&2\nexit 3\n");
    write(handlers, "plain.sh", "echo '{\"ran\": \"with sh\"}'\n"); // no execute bit
    write(
        handlers,
        "env.sh",
        """
        #!/bin/sh
        cat > "stdin-$WEBHOOK_DELIVERY_ID.bin"
        if printf '%s' "$WEBHOOK_PAYLOAD" | cmp -s "stdin-$WEBHOOK_DELIVERY_ID.bin" -; then
          same=true
        else
          same=false
        fi
        printf '{"repoId":"%s","repoType":"%s","action":"%s","scope":"%s","name":"%s","delivery":"%s","cwd":"%s","payloadMatches":%s}' \\
          "$WEBHOOK_REPO_ID" "$WEBHOOK_REPO_TYPE" "$WEBHOOK_EVENT_ACTION" "$WEBHOOK_EVENT_SCOPE" \\
          "$WEBHOOK_NAME" "$WEBHOOK_DELIVERY_ID" "$(pwd)" "$same"
        """);
    write(
        handlers,
        "hello.js",
        """
        // @watch model:acme/sentiment-model
        function handle(payload, context) {
          console.log("hello " + payload.repo.name);
          return { greeting: "hi", repo: payload.repo.name, handler: context.handler };
        }
        """);
    write(
        handlers,
        "throws.js",
        "// @domains repo\nfunction handle() { throw new Error('kaput'); }\n");
    write(
        handlers,
        "module.mjs",
        "export default async function (payload) { return { scope: payload.event.scope }; }\n");
    write(handlers, "README.md", "# notes, never served\n");
    write(handlers, "broken.js", "function handle(p) {\n  return {;\n}\n");
  }

  static Stream<Arguments> scenarios() {
    String push = new String(payload(PUSH), StandardCharsets.UTF_8);
    String narrowScope = push.replace("\"repo.content\"", "\"repo.config.dois\"");
    String extraField = push.replaceFirst("\\{", "{\"addedByTheHubLater\": {\"x\": 1},");
    String badPayload =
        "{\"event\": {\"action\": \"explode\", \"scope\": \"repo\"}, \"webhook\": {\"id\": \"w\","
            + " \"version\": 2}}";
    return Stream.of(
        // handler, body, secret (null: none sent), status, body pattern, log pattern
        Arguments.of(
            "echo",
            push,
            ServerHarness.SECRET,
            200,
            "\"headSha\"",
            "POST /webhooks/echo 200 .* delivery="),
        Arguments.of(
            "echo",
            push,
            null,
            401,
            "\\{\"error\":\"x-webhook-secret header not set.\"}",
            "echo 401"),
        Arguments.of(
            "echo", push, "wrong", 403, "\\{\"error\":\"Invalid webhook secret.\"}", "echo 403"),
        Arguments.of("echo", "{broken", "wrong", 403, "Invalid webhook secret", "echo 403"),
        Arguments.of(
            "nope",
            push,
            ServerHarness.SECRET,
            404,
            "No webhook named \\\\\"nope\\\\\"",
            "nope 404"),
        Arguments.of(
            "echo",
            "not json at all",
            ServerHarness.SECRET,
            400,
            "Body is not valid JSON",
            "echo 400"),
        Arguments.of("echo", "", ServerHarness.SECRET, 400, "Body is empty", "echo 400"),
        Arguments.of(
            "echo", "[1, 2]", ServerHarness.SECRET, 422, "body must be a JSON object", "echo 422"),
        Arguments.of(
            "echo",
            badPayload,
            ServerHarness.SECRET,
            422,
            "event.action must be one of create, delete, move, update.*repo is required.*webhook.version must be 3",
            "echo 422"),
        Arguments.of(
            "echo", narrowScope, ServerHarness.SECRET, 200, "repo.config.dois", "echo 200"),
        Arguments.of(
            "echo", extraField, ServerHarness.SECRET, 200, "addedByTheHubLater", "echo 200"),
        Arguments.of(
            "text", push, ServerHarness.SECRET, 200, "^hello from a process\\n$", "text 200"),
        Arguments.of(
            "silent",
            push,
            ServerHarness.SECRET,
            200,
            "^\\{\"status\":\"ok\",\"delivery\":\"[0-9a-f-]{36}\"}$",
            "silent 200"),
        Arguments.of(
            "fail", push, ServerHarness.SECRET, 500, "fail exited with status 3", "\\[fail] boom"),
        Arguments.of(
            "plain", push, ServerHarness.SECRET, 200, "\\{\"ran\":\"with sh\"}", "plain 200"),
        Arguments.of(
            "hello",
            push,
            ServerHarness.SECRET,
            200,
            "\\{\"greeting\":\"hi\",\"repo\":\"acme/sentiment-model\",\"handler\":\"hello\"}",
            "\\[hello] hello acme/sentiment-model"),
        Arguments.of(
            "throws", push, ServerHarness.SECRET, 500, "throws failed: Error: kaput", "throws 500"),
        Arguments.of(
            "module",
            push,
            ServerHarness.SECRET,
            200,
            "\\{\"scope\":\"repo.content\"}",
            "module 200"),
        Arguments.of(
            "broken",
            push,
            ServerHarness.SECRET,
            500,
            "broken.js has a syntax error at line 2, column \\d+",
            "broken 500"),
        Arguments.of("README", push, ServerHarness.SECRET, 404, "No webhook named", "README 404"));
  }

  @ParameterizedTest(name = "{0} with {3}: {4}")
  @MethodSource("scenarios")
  void answersEachScenario(
      String handler, String body, String secret, int status, String bodyPattern, String logPattern)
      throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          HttpRequest.Builder request =
              HttpRequest.newBuilder(URI.create(server.url("/webhooks/" + handler)))
                  .POST(HttpRequest.BodyPublishers.ofString(body));
          if (secret != null) {
            request.header("X-Webhook-Secret", secret);
          }
          HttpResponse<String> response = server.send(request);
          assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
          assertThat(response.body()).containsPattern(bodyPattern);
          assertThat(server.log()).containsPattern(logPattern);
        });
  }

  @Test
  void secretInTheQueryIsAcceptedAndNeverLogged() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          HttpResponse<String> ok =
              server.send(
                  HttpRequest.newBuilder(
                          URI.create(server.url("/webhooks/echo?secret=" + ServerHarness.SECRET)))
                      .POST(HttpRequest.BodyPublishers.ofByteArray(payload(PUSH))));
          HttpResponse<String> wrong =
              server.send(
                  HttpRequest.newBuilder(URI.create(server.url("/webhooks/echo?secret=nope")))
                      .POST(HttpRequest.BodyPublishers.ofByteArray(payload(PUSH))));

          assertThat(ok.statusCode()).isEqualTo(200);
          assertThat(wrong.statusCode()).isEqualTo(403);
          assertThat(server.log()).contains("echo 200").doesNotContain(ServerHarness.SECRET);
        });
  }

  @Test
  void processGetsTheBodyOnStdinAndTheHfJobsVariables() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          byte[] body = payload("dataset-repo-content-update.json");
          HttpResponse<String> response = server.post("env", body);

          assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
          String id = response.headers().firstValue("X-Delivery-Id").orElseThrow();
          assertThat(response.body())
              .contains("\"repoId\":\"acme/customer-reviews\"")
              .contains("\"repoType\":\"dataset\"")
              .contains("\"action\":\"update\"")
              .contains("\"scope\":\"repo.content\"")
              .contains("\"name\":\"env\"")
              .contains("\"delivery\":\"" + id + "\"")
              .contains("\"cwd\":\"" + handlers.toRealPath() + "\"")
              .contains("\"payloadMatches\":true");
          assertThat(handlers.resolve("stdin-" + id + ".bin")).hasBinaryContent(body);
        });
  }

  @Test
  void otherMethodsOnAWebhookAre405() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          HttpResponse<String> get =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/webhooks/echo"))).GET());
          HttpResponse<String> put =
              server.send(
                  HttpRequest.newBuilder(URI.create(server.url("/webhooks/echo")))
                      .PUT(HttpRequest.BodyPublishers.ofString("{}")));
          HttpResponse<String> unknown =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/webhooks/nope"))).GET());

          assertThat(get.statusCode()).isEqualTo(405);
          assertThat(get.headers().firstValue("Allow")).hasValue("POST");
          assertThat(get.body()).contains("POST only");
          assertThat(put.statusCode()).isEqualTo(405);
          assertThat(unknown.statusCode()).isEqualTo(404);
        });
  }

  @Test
  void bodyOverTheLimitIs413() throws Exception {
    ServerHarness.test(
        handlers,
        ServerHarness.SECRET,
        Duration.ofSeconds(10),
        1024,
        server -> {
          byte[] big = new byte[4096];
          Arrays.fill(big, (byte) ' ');
          HttpResponse<String> declared = server.post("echo", big);
          HttpResponse<String> chunked =
              server.send(
                  HttpRequest.newBuilder(URI.create(server.url("/webhooks/echo")))
                      .header("X-Webhook-Secret", ServerHarness.SECRET)
                      .POST(
                          HttpRequest.BodyPublishers.ofInputStream(
                              () -> new ByteArrayInputStream(big))));

          assertThat(declared.statusCode()).isEqualTo(413);
          assertThat(declared.body()).contains("limit of 1 KiB (--max-body)");
          assertThat(chunked.statusCode()).isEqualTo(413);
        });
  }

  @Test
  void hostileJsonIsRefusedWith400AndTheServerKeepsServing() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          String deep = "[".repeat(200_000) + "]".repeat(200_000);
          String hugeNumber = "{\"event\": " + "9".repeat(100_000) + "}";

          HttpResponse<String> nested = server.post("echo", deep.getBytes(StandardCharsets.UTF_8));
          HttpResponse<String> number =
              server.post("echo", hugeNumber.getBytes(StandardCharsets.UTF_8));
          HttpResponse<String> after = server.post("echo", payload(PUSH));

          assertThat(nested.statusCode()).isEqualTo(400);
          assertThat(nested.body()).contains("nesting depth");
          assertThat(number.statusCode()).isEqualTo(400);
          assertThat(number.body()).contains("Number value length");
          assertThat(after.statusCode()).isEqualTo(200);
        });
  }

  @Test
  void aHandlerPastTheTimeoutIs504AndItsWholeProcessTreeIsEnded(@TempDir Path dir)
      throws Exception {
    Path pidFile = dir.resolve("child.pid");
    write(dir, "slow.sh", "#!/bin/sh\nsleep 120 &\necho $! > '" + pidFile + "'\nwait\n");
    ServerHarness.test(
        dir,
        ServerHarness.SECRET,
        Duration.ofSeconds(1),
        1 << 20,
        server -> {
          long start = System.nanoTime();
          HttpResponse<String> response = server.post("slow", payload(PUSH));
          Duration took = Duration.ofNanos(System.nanoTime() - start);

          assertThat(response.statusCode()).isEqualTo(504);
          assertThat(response.body()).contains("slow timed out after 1 s");
          long child = Long.parseLong(Files.readString(pidFile).strip());
          assertThat(Fixtures.isRunning(child))
              .as("the handler's background child was ended too")
              .isFalse();
          // Timeout plus the TERM grace, with room for a slow machine: not a timing claim.
          assertThat(took).isLessThan(Duration.ofSeconds(20));
        });
  }

  @Test
  void withoutASecretEveryRequestIsAccepted() throws Exception {
    ServerHarness.test(
        handlers,
        null,
        Duration.ofSeconds(10),
        1 << 20,
        server -> {
          HttpResponse<String> response =
              server.send(
                  HttpRequest.newBuilder(URI.create(server.url("/webhooks/echo")))
                      .POST(HttpRequest.BodyPublishers.ofByteArray(payload(PUSH))));
          assertThat(response.statusCode()).isEqualTo(200);
        });
  }

  @Test
  void landingPageListsEachWebhookWithItsUrlKindAndWhatItWatches() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          HttpResponse<String> page =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/"))).GET());

          assertThat(page.statusCode()).isEqualTo(200);
          assertThat(page.headers().firstValue("Content-Type"))
              .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
          assertThat(page.body())
              .contains("POST " + server.url("/webhooks/echo"))
              .contains("POST " + server.url("/webhooks/hello"))
              .containsPattern(
                  "(?s)<h3>hello <span class=\"state ready\">ready</span>.*?<dt>Kind</dt><dd>js</dd>")
              .containsPattern("(?s)<h3>echo <span.*?<dt>Kind</dt><dd>process</dd>")
              .contains("A secret is set")
              .doesNotContain(ServerHarness.SECRET)
              .contains("https://huggingface.co/settings/webhooks")
              .contains("README.md")
              .containsPattern(
                  "<h3>broken <span class=\"state broken\">broken</span></h3>\n"
                      + "<p class=\"problem\">broken.js has a syntax error at line 2")
              .containsPattern(
                  "(?s)<h3>hello .*?<dt>Watches</dt><dd><code>model:acme/sentiment-model \\(repo, discussion\\)</code>")
              .containsPattern("(?s)<h3>echo .*?<dt>Watches</dt><dd>nothing declared</dd>")
              .containsPattern(
                  "(?s)<h3>throws .*?<span class=\"broken\">line 1: @domains without @watch")
              .contains("data-copy=\"" + server.url("/webhooks/echo") + "\"")
              .contains("<option value=\"model-repo-content-update.json\">Push to a model</option>")
              .contains("hf-webhooks hub sync --url " + server.url(""));
        });
  }

  @Test
  void aPublicUrlLearnedAfterStartShowsOnTheLandingPage() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          server.server().usePublicUrl("https://abc123.ngrok-free.app/");
          HttpResponse<String> page =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/"))).GET());

          assertThat(server.server().baseUrl()).isEqualTo("https://abc123.ngrok-free.app");
          assertThat(page.body())
              .contains("POST https://abc123.ngrok-free.app/webhooks/echo")
              .doesNotContain("POST " + server.url("/webhooks/echo"));
        });
  }

  @Test
  void healthCheckAnswersJson() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          HttpResponse<String> health =
              server.send(HttpRequest.newBuilder(URI.create(server.url("/healthz"))).GET());
          assertThat(health.statusCode()).isEqualTo(200);
          assertThat(health.body()).contains("\"status\":\"ok\"").contains("\"webhooks\":10");
        });
  }

  @Test
  void closingLetsARunningDeliveryFinish(@TempDir Path dir) throws Exception {
    Path started = dir.resolve("started");
    write(dir, "wait.sh", "#!/bin/sh\ntouch '" + started + "'\nsleep 2\necho '{\"done\": true}'\n");
    ServerHarness.test(
        dir,
        server -> {
          CompletableFuture<HttpResponse<String>> running =
              server
                  .client()
                  .sendAsync(
                      HttpRequest.newBuilder(URI.create(server.url("/webhooks/wait")))
                          .header("X-Webhook-Secret", ServerHarness.SECRET)
                          .POST(HttpRequest.BodyPublishers.ofByteArray(payload(PUSH)))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
          while (!Files.exists(started)) {
            Thread.sleep(20);
          }
          server.server().close();

          assertThat(running.get().statusCode()).isEqualTo(200);
          assertThat(running.get().body()).isEqualTo("{\"done\":true}");
        });
  }

  /**
   * An answer still being written when the server stops reaches its client whole, last chunk
   * included. A stopping Jetty fails a write that has not moved for a second, so close() must wait
   * for the answer to be sent, not just for the handler: here the client reads nothing until the
   * stop has begun, and the answer is larger than the kernel's socket buffers can take, so the
   * server's write stays pending.
   */
  @Test
  void closingLetsAnAnswerStillBeingSentArriveWhole(@TempDir Path dir) throws Exception {
    int size = Math.max(6_000_000, maxSendBuffer() * 3 / 2);
    // An answer far past the cap on answers (AnswerCap), raised for this server as
    // HF_WEBHOOKS_OPTS=-Dhf-webhooks.max-answer=BYTES would: the answer must outgrow what the
    // kernel buffers, or nothing is still being sent when the server closes.
    System.setProperty(AnswerCap.PROPERTY, String.valueOf(size + 2));
    try {
      write(dir, "big.js", "function handle() { return 'a'.repeat(" + size + "); }\n");
      ServerHarness.test(
          dir,
          server -> {
            byte[] body = payload(PUSH);
            try (Socket socket = new Socket()) {
              socket.setReceiveBufferSize(4096);
              socket.setSoTimeout(30_000);
              socket.connect(
                  new InetSocketAddress(
                      InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), server.server().port()));
              OutputStream out = socket.getOutputStream();
              out.write(
                  ("POST /webhooks/big HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Webhook-Secret: "
                          + ServerHarness.SECRET
                          + "\r\nContent-Type: application/json\r\nContent-Length: "
                          + body.length
                          + "\r\n\r\n")
                      .getBytes(StandardCharsets.US_ASCII));
              out.write(body);
              out.flush();
              server.awaitLog("/webhooks/big 200", Duration.ofSeconds(30));
              CompletableFuture<Void> closing = CompletableFuture.runAsync(server.server()::close);
              Thread.sleep(1_500); // longer than the idle second a stopping Jetty allows a write

              String response =
                  new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
              closing.get();

              assertThat(response).startsWith("HTTP/1.1 200");
              // the answer is the JSON string "aaa...": the size plus two quotes
              assertThat(dechunked(response.substring(response.indexOf("\r\n\r\n") + 4)))
                  .hasSize(size + 2);
            }
          });
    } finally {
      System.clearProperty(AnswerCap.PROPERTY);
    }
  }

  /**
   * A refusal decided from the headers alone (wrong secret, unknown webhook, a body declared over
   * --max-body) is answered before the body is read. Jetty, left with an unread body, closes hard:
   * the client's RST can overtake the answer, so a sender saw a reset instead of the 403 (CI, once,
   * with a small body). A body still arriving when the answer is ready makes that certain.
   */
  @ParameterizedTest
  @MethodSource("refusedFromTheHeaders")
  void aRefusalFromTheHeadersReachesAClientStillSendingItsBody(
      String path, String secret, long maxBody, String status, String next) throws Exception {
    ServerHarness.test(
        handlers,
        ServerHarness.SECRET,
        Duration.ofSeconds(10),
        maxBody,
        server -> {
          byte[] body = payload(PUSH);
          try (Socket socket = rawConnection(server, 30_000)) {
            OutputStream out = socket.getOutputStream();
            out.write(request(path, secret, body.length, "keep-alive"));
            out.write(body, 0, body.length / 2);
            out.flush();
            Thread.sleep(300); // the server answers meanwhile, with half the body unread
            out.write(body, body.length / 2, body.length - body.length / 2);
            // The same connection then carries the next request: the refusal kept it usable.
            out.write(request("/webhooks/silent", ServerHarness.SECRET, body.length, "close"));
            out.write(body);
            out.flush();

            String answers =
                new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

            assertThat(answers).startsWith("HTTP/1.1 " + status + " ");
            assertThat(answers.substring(answers.indexOf("\r\n\r\n")))
                .contains("HTTP/1.1 " + next + " ");
          }
        });
  }

  /**
   * Waiting for the body of a refusal is bounded: a caller without the secret that declares a body
   * and never sends it must not hold a request thread for as long as it likes (it could not before
   * refusals read their body). Its connection is closed instead, and the server goes on serving.
   */
  @Test
  void aRefusalDoesNotWaitLongForABodyThatNeverComes() throws Exception {
    ServerHarness.test(
        handlers,
        server -> {
          // A hang fails at the 15 s: well past RequestBody.MAX_SKIP_TIME, before Jetty's idle 30
          // s.
          try (Socket socket = rawConnection(server, 15_000)) {
            OutputStream out = socket.getOutputStream();
            out.write(request("/webhooks/echo", "wrong", 1000, "keep-alive"));
            out.write("{\"event\"".getBytes(StandardCharsets.US_ASCII));
            out.flush();

            HttpResponse<String> meanwhile = server.post("echo", payload(PUSH));
            byte[] answer = socket.getInputStream().readAllBytes(); // until the server closes

            assertThat(meanwhile.statusCode()).isEqualTo(200);
            assertThat(answer).as("nothing answers a body that was never sent").isEmpty();
            // Logged once the closing is done, which the client may see first.
            server.awaitLog(
                "(Invalid webhook secret.; not answered: its body did not arrive within 3 s",
                Duration.ofSeconds(10));
            assertThat(server.log()).contains("POST /webhooks/echo 403 ");
          }
        });
  }

  static Stream<Arguments> refusedFromTheHeaders() {
    return Stream.of(
        Arguments.of("/webhooks/echo", "wrong", 1L << 20, "403", "200"),
        Arguments.of("/webhooks/nope", ServerHarness.SECRET, 1L << 20, "404", "200"),
        Arguments.of("/webhooks/echo", ServerHarness.SECRET, 256L, "413", "413"));
  }

  /** A connection to the server for bytes an HTTP client will not send as they are. */
  private static Socket rawConnection(ServerHarness server, int timeoutMillis) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setSoTimeout(timeoutMillis);
      socket.connect(
          new InetSocketAddress(
              InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), server.server().port()));
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static byte[] request(String path, String secret, int length, String connection) {
    return ("POST "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Webhook-Secret: "
            + secret
            + "\r\nContent-Type: application/json\r\nConnection: "
            + connection
            + "\r\nContent-Length: "
            + length
            + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The most the kernel lets a socket's send buffer grow to (Linux), or 4 MiB when unknown. */
  private static int maxSendBuffer() {
    try {
      String[] wmem =
          Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+", -1);
      return Integer.parseInt(wmem[2]);
    } catch (IOException | RuntimeException e) {
      return 4 << 20;
    }
  }

  /** A chunked HTTP/1.1 body, joined; fails unless it ends with its last, empty chunk. */
  private static String dechunked(String chunked) {
    StringBuilder body = new StringBuilder();
    int at = 0;
    while (true) {
      int lineEnd = chunked.indexOf("\r\n", at);
      assertThat(lineEnd).as("a chunk's size line at %d", at).isGreaterThanOrEqualTo(0);
      int length = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
      if (length == 0) {
        assertThat(chunked.substring(lineEnd)).as("the last chunk").startsWith("\r\n\r\n");
        return body.toString();
      }
      assertThat(chunked.length()).as("a whole chunk").isGreaterThanOrEqualTo(lineEnd + 2 + length);
      body.append(chunked, lineEnd + 2, lineEnd + 2 + length);
      at = lineEnd + 2 + length + 2;
    }
  }
}
