package dev.hfwebhooks.server;

import static dev.hfwebhooks.testing.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hfwebhooks.journal.DeliveryRecord;
import dev.hfwebhooks.journal.Query;
import dev.hfwebhooks.testing.ServerHarness;
import dev.hfwebhooks.testing.ServerHarness.Recording;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's headless Chromium, driven by its chromedriver, against
 * the real server on 127.0.0.1, port 0. Skipped only where either program is missing (CI installs
 * both). Leaves a screenshot in {@code target/console.png}, the one the README shows.
 */
class ConsoleBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOT = Path.of("target", "console.png");

  @TempDir static Path profile;
  @TempDir Path handlers;
  @TempDir Path data;

  private static WebDriver browser;

  @BeforeAll
  static void startBrowser() {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
    // Explicit paths, so that Selenium Manager never looks for (or downloads) a browser or driver.
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox", // the tests may run as root, where Chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1000,2600",
        "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @BeforeEach
  void writeHandlers() {
    write(
        handlers,
        "hello.js",
        """
        // @watch model:acme/sentiment-model
        function handle(payload) {
          console.log("hello " + payload.repo.name);
          return { greeting: "hi", repo: payload.repo.name };
        }
        """);
    write(handlers, "build.sh", "#!/bin/sh\necho building >&2\necho '{\"built\": true}'\n");
    write(handlers, "broken.js", "function handle(p) {\n  return {;\n}\n");
  }

  private static WebDriverWait waiting() {
    return new WebDriverWait(browser, Duration.ofSeconds(20));
  }

  /** Opens the send form of {@code name} (a keyboard user's Enter on its summary works alike). */
  private static WebElement open(String name) {
    WebElement card = browser.findElement(By.id("webhook-" + name));
    WebElement details = card.findElement(By.cssSelector("details.send"));
    if (details.getAttribute("open") == null) {
      details.findElement(By.tagName("summary")).click();
    }
    return card;
  }

  /** Sends what the form of {@code name} holds, and waits for the answer. */
  private static WebElement send(String name) {
    WebElement card = open(name);
    WebElement payload = card.findElement(By.name("payload"));
    waiting().until(d -> payload.getAttribute("value").contains("\"event\""));
    card.findElement(By.cssSelector("button[type=submit]")).click();
    WebElement result = card.findElement(By.className("result"));
    waiting().until(d -> !result.findElements(By.className("answer")).isEmpty());
    return result;
  }

  private static void typeSecret(String secret) {
    WebElement field = browser.findElement(By.id("secret"));
    field.clear();
    field.sendKeys(secret);
  }

  @Test
  void thePageListsEachWebhookWithItsStateAndABrokenOneAsBroken() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          browser.get(server.url("/"));

          List<String> names =
              browser.findElements(By.cssSelector("article.webhook h3")).stream()
                  .map(h -> h.getText().replaceAll("\\s+", " "))
                  .toList();
          assertThat(names)
              .containsExactlyInAnyOrder("broken broken", "build ready", "hello ready");
          assertThat(browser.findElement(By.id("webhook-broken")).getText())
              .contains("broken.js has a syntax error at line 2");
          assertThat(browser.findElement(By.id("webhook-hello")).getText())
              .contains("POST " + server.url("/webhooks/hello"))
              .contains("model:acme/sentiment-model");
          assertThat(browser.findElement(By.id("secret")).isDisplayed()).isTrue();
          assertThat(browser.getPageSource()).doesNotContain(ServerHarness.SECRET);
        });
  }

  @Test
  void theFormSendsASampleShowsTheAnswerAndTheListUpdatesAndReplays() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          browser.get(server.url("/"));
          typeSecret(ServerHarness.SECRET);
          open("hello");
          new Select(browser.findElement(By.id("sample-hello")))
              .selectByValue("dataset-repo-content-update.json");
          waiting()
              .until(
                  d ->
                      d.findElement(By.id("payload-hello"))
                          .getAttribute("value")
                          .contains("\"type\": \"dataset\""));

          WebElement result = send("hello");

          String answer = result.getText();
          assertThat(answer).startsWith("200").contains("\"greeting\": \"hi\"");
          waiting()
              .until(ExpectedConditions.textToBePresentInElement(result, "Console and stderr"));
          assertThat(result.getText()).containsPattern("hello \\S+");
          String id = result.findElement(By.cssSelector(".answer code")).getText();

          WebElement row =
              waiting()
                  .until(
                      ExpectedConditions.presenceOfElementLocated(
                          By.cssSelector("#deliveries tr[data-id='" + id + "']")));
          assertThat(row.getText()).contains("hello").contains("succeeded");

          row.findElement(By.cssSelector("button.replay")).click();
          WebElement detail = browser.findElement(By.id("delivery-detail"));
          waiting().until(ExpectedConditions.textToBePresentInElement(detail, "as attempt 2"));
          assertThat(detail.getText()).contains("succeeded").contains("hello");
          DeliveryRecord record = server.journal().find(id).orElseThrow();
          assertThat(record.summary().attempts()).isEqualTo(2);
          waiting()
              .until(
                  ExpectedConditions.textToBePresentInElementLocated(
                      By.cssSelector("#deliveries tr[data-id='" + id + "'] td:nth-child(4)"), "2"));

          screenshot();
        });
  }

  @Test
  void aWrongSecretInTheFormShowsThe403() throws Exception {
    ServerHarness.test(
        handlers,
        Recording.journal(data),
        server -> {
          browser.get(server.url("/"));
          typeSecret("not-the-secret");

          WebElement result = send("build");

          assertThat(result.getText()).startsWith("403").contains("Invalid webhook secret.");
          assertThat(server.journal().list(Query.newest(5))).isEmpty();
        });
  }

  /** Saves the page from its top, with its title, as the README's picture. */
  private static void screenshot() throws IOException {
    ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.createDirectories(SCREENSHOT.getParent());
    Files.copy(shot.toPath(), SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
  }
}
