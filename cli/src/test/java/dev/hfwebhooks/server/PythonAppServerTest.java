package dev.hfwebhooks.server;

import static dev.hfwebhooks.testing.Fixtures.payload;
import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.testing.Fixtures;
import dev.hfwebhooks.testing.ServerHarness;
import dev.hfwebhooks.testing.ServerHarness.Recording;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * huggingface_hub's two app.py shapes, as its guide writes them, served by the real server with
 * real CPython workers (without huggingface_hub installed: hf-webhooks provides its names).
 */
class PythonAppServerTest {
  private static final byte[] PUSH = payload("model-repo-content-update.json");

  @TempDir Path handlers;
  @TempDir Path data;

  @BeforeAll
  static void debianPython() {
    assumeThat(Fixtures.DEBIAN_PYTHON).as("Debian's python3 (.ci/run installs it)").exists();
  }

  @Test
  void decoratedFunctionsAreServedAtHuggingfaceHubsRoutes() throws Exception {
    write(
        handlers,
        "app.py",
        """
        from huggingface_hub import webhook_endpoint, WebhookPayload

        @webhook_endpoint
        async def trigger_training(payload: WebhookPayload):
            if payload.repo.type == "model" and payload.event.action == "update":
                return {"training": payload.repo.name}

        @webhook_endpoint("/nested/route/")
        def elsewhere(payload: WebhookPayload):
            return None

        if __name__ == "__main__":
            trigger_training.launch()
        """);

    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          HttpResponse<String> training = server.post("trigger_training", PUSH);
          assertThat(training.statusCode()).as(training.body()).isEqualTo(200);
          assertThat(training.body()).isEqualTo("{\"training\": \"acme/sentiment-model\"}");

          HttpResponse<String> nested = server.post("nested/route", PUSH);
          assertThat(nested.statusCode()).as(nested.body()).isEqualTo(200);
          assertThat(nested.body()).contains("\"status\":\"ok\"");

          assertThat(server.post("elsewhere", PUSH).statusCode()).isEqualTo(404);

          String id = nested.headers().firstValue("X-Delivery-Id").orElseThrow();
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.summary().handler()).isEqualTo("nested/route");
        });
  }

  @Test
  void aCustomServersSecretProtectsItsOwnRoutes() throws Exception {
    write(
        handlers,
        "app.py",
        """
        from huggingface_hub import WebhooksServer, WebhookPayload

        app = WebhooksServer(webhook_secret="my_secret_key")

        @app.add_webhook("/say_hello")
        async def hello(payload: WebhookPayload):
            return {"message": "hello"}

        @app.add_webhook
        def echo_header(payload: WebhookPayload, request):
            return {"header": request.headers.get("x-trace"), "secret": "x-webhook-secret" in request.headers}

        app.launch()
        """);
    write(handlers, "other.sh", "#!/bin/sh\necho '{\"other\": true}'\n");

    ServerHarness.test(
        handlers,
        server -> {
          assertThat(send(server, "say_hello", null).statusCode()).isEqualTo(401);
          // The server's secret is not this app's.
          assertThat(send(server, "say_hello", ServerHarness.SECRET).statusCode()).isEqualTo(403);
          HttpResponse<String> hello = send(server, "say_hello", "my_secret_key");
          assertThat(hello.statusCode()).as(hello.body()).isEqualTo(200);
          assertThat(hello.body()).isEqualTo("{\"message\": \"hello\"}");

          HttpResponse<String> echo = send(server, "echo_header", "my_secret_key");
          assertThat(echo.body()).isEqualTo("{\"header\": \"t-1\", \"secret\": false}");

          // Other handlers keep the server's secret.
          assertThat(send(server, "other", "my_secret_key").statusCode()).isEqualTo(403);
          assertThat(server.post("other", PUSH).statusCode()).isEqualTo(200);
        });
  }

  @Test
  void aRouteWhoseSecretIsNotKnownIsRefusedNotRunUnchecked() throws Exception {
    write(
        handlers,
        "app.py",
        """
        import os
        from huggingface_hub import WebhooksServer
        app = WebhooksServer(webhook_secret=os.environ["NOT_SET_ANYWHERE"])

        @app.add_webhook
        def guarded(payload):
            return {"ran": True}
        """);

    ServerHarness.test(
        handlers,
        null, // no server secret either: only the code's would protect the route
        java.time.Duration.ofSeconds(5),
        1 << 20,
        server -> {
          HttpResponse<String> refused = send(server, "guarded", null);
          assertThat(refused.statusCode()).isEqualTo(503);
          assertThat(refused.body()).doesNotContain("NOT_SET_ANYWHERE").doesNotContain("ran");
        });
  }

  private static HttpResponse<String> send(ServerHarness server, String route, String secret)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(server.url("/webhooks/" + route)))
            .header("X-Trace", "t-1")
            .POST(HttpRequest.BodyPublishers.ofByteArray(PUSH));
    if (secret != null) {
      request.header("X-Webhook-Secret", secret);
    }
    return server.send(request);
  }
}
