package io.forkrunner.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.forkrunner.provision.aiven.AivenSimulator;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The dashboard of a real {@code serve} in headless Chromium (Debian's {@code chromium} and {@code chromium-driver},
 * nothing downloaded): it launches a run, watches its steps advance to COMPLETED without reloading, shows the fork and
 * the backup window, and reaches nothing but the serve.
 */
class DashboardBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOT = Path.of("target/dashboard.png");
    static final Path RUNNING_SCREENSHOT = Path.of("target/dashboard-running.png");
    static final JsonMapper JSON = JsonMapper.builder().build();

    static TestHome home;
    static AivenSimulator aiven;
    static Ports.Range ports;
    static String base;
    static WebDriver browser;

    @BeforeAll
    static void serveAndOpenABrowser() throws Exception {
        assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
                .as("Debian's chromium and chromium-driver are installed (./run-tests installs them)")
                .isTrue();
        home = TestHome.create("dashboard");
        TestSource source = TestSource.start(home, "shop", "Shop-pw-d7a2");
        source.sql("create role app login password 'App-pw-51c'");
        source.sql("create database shop owner app");
        ports = Ports.range(30);
        home.declareServices(ports, source.serviceYaml("eu-local", "{ keep: 2, wal: stream }") + TestSource.appPool(4));
        // an OpenSearch service on Aiven with SAML, forked with sso: later: a run with a warning
        aiven = AivenSimulator.start("aiven-token-d41f");
        aiven.readsToRun(1);
        aiven.addService("acme", "search", "opensearch", "startup-4", 1)
                .withObject("user_config")
                .putObject("saml")
                .put("enabled", true)
                .put("idp_metadata_url", "https://idp.example.com/metadata");
        aiven.addBackup("acme", "search", "backup-search-1", Instant.now().minusSeconds(3600));
        home.write("var/secrets/aiven", "aiven-token-d41f");
        String local = home.read("config/services.yml");
        home.write(
                "config/services.yml",
                local.replace("regions:\n", aiven.regionYaml("startup-4"))
                        + "  search: { type: opensearch, region: aiven-eu }\n");
        home.job("search-later", "source: search\ntarget:\n  name: search-later-{run}\nsso: later\n");
        // laying the backup down takes a few seconds, so that the page shows restore-data running with its progress
        home.addSettings("""
                runs:
                  copy-rate: 6MB
                """);
        home.job("copy", """
                description: A copy of shop
                source: shop
                target:
                  name: copy-{run}
                """);
        home.job("yearly", """
                source: shop
                target:
                  name: yearly-{run}
                schedule:
                  cron: "0 0 3 1 1 ?"
                  zone: UTC
                retention:
                  keep: 1
                  ttl: 7d
                """);
        home.start("serve", Map.of(), "serve");
        String log = await().atMost(Duration.ofSeconds(90))
                .ignoreExceptions()
                .until(() -> home.read("var/log/serve.out"), text -> text.contains("dashboard on http://"));
        Matcher port =
                Pattern.compile("dashboard on (http://127\\.0\\.0\\.1:\\d+)/").matcher(log);
        assertThat(port.find()).isTrue();
        base = port.group(1);
        home.backUp("shop");
        browser = chromium();
    }

    /** Debian's Chromium through Debian's chromedriver, headless, offline, in a fresh profile. */
    static WebDriver chromium() throws IOException {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        Path profile = Files.createDirectories(home.path("var/chromium-profile"));
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments(
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--user-data-dir=" + profile,
                        "--window-size=1400,2000",
                        // no name resolves: nothing but 127.0.0.1 could be reached even by mistake
                        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        // the driver is named, so Selenium Manager is never asked to find or download one
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingPort(Ports.one())
                .withLogFile(home.path("var/log/chromedriver.log").toFile())
                .build();
        return new ChromeDriver(service, options);
    }

    @AfterAll
    static void close() {
        if (browser != null) {
            browser.quit();
        }
        if (home != null) {
            home.close();
        }
        if (aiven != null) {
            aiven.close();
        }
    }

    @Test
    void aRunLaunchedFromTheDashboardAdvancesStepByStepToCompletedAndNothingButServeIsReached() throws Exception {
        browser.manage().logs().get(LogType.BROWSER); // read, so emptied: what the other test left
        browser.get(base + "/#token=" + TestHome.OPERATOR_TOKEN);
        By launch = By.cssSelector("#jobs tr[data-job='copy'] button[data-action='launch']");
        waitFor(launch);
        assertThat(browser.getCurrentUrl())
                .as("the token leaves the address bar")
                .doesNotContain("token");
        assertThat(browser.findElements(By.cssSelector("#jobs tr[data-job='yearly'] button[data-action='pause']")))
                .as("a scheduled job can be paused")
                .hasSize(1);
        assertThat(browser.findElements(By.cssSelector("#runs tr[data-run][data-job='copy']")))
                .isEmpty();
        click(launch);

        String run = waitFor("const row = document.querySelector(\"#runs tr[data-run][data-job='copy']\");"
                + " return row && row.dataset.run;");
        click(By.cssSelector("#runs tr[data-run='" + run + "']"));
        waitFor(By.cssSelector("#run-detail[data-run='" + run + "']"));

        List<String> seen = new ArrayList<>();
        Set<String> progress = new LinkedHashSet<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (true) {
            assertNoError();
            String states = stepStates();
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(states)) {
                seen.add(states);
            }
            String shown = read("return [...document.querySelectorAll('#run-detail [data-step] .progress')]"
                    + ".map(each => each.textContent).join('\\n');");
            if (!shown.isEmpty()) {
                if (progress.isEmpty()) {
                    screenshot(RUNNING_SCREENSHOT);
                }
                progress.addAll(List.of(shown.split("\n")));
            }
            if (states.equals("COMPLETED ".repeat(8).strip())) {
                break;
            }
            if (states.contains("FAILED") || states.contains("STOPPED") || System.nanoTime() > deadline) {
                fail("the run's steps did not all reach COMPLETED; seen:\n" + String.join("\n", seen) + "\n"
                        + home.read("var/log/serve.out"));
            }
            Thread.sleep(100);
        }
        assertThat(seen)
                .as("the page showed the steps advance without reloading")
                .hasSizeGreaterThanOrEqualTo(2);
        assertThat(seen.stream().map(DashboardBrowserTest::completed).toList())
                .as("steps completed, view by view")
                .isSorted();
        assertThat(seen.get(0)).as("the first view of the run").contains("PENDING");
        assertThat(seen).anyMatch(states -> states.split(" ")[2].equals("STARTED"));
        assertThat(progress).anyMatch(text -> text.startsWith("bytes laid down: "));

        waitFor("const row = document.querySelector(\"#runs tr[data-run='" + run + "'][data-state='COMPLETED']\");"
                + " return row && row.dataset.state;");
        String forkRow = waitFor("const row = document.querySelector(\"#forks tr[data-fork^='copy-']\");"
                + " return row && row.textContent;");
        assertThat(forkRow).contains("shop", "#" + run);
        assertThat(IntStream.rangeClosed(ports.first(), ports.last()).mapToObj(port -> "127.0.0.1:" + port))
                .as("the fork's address, on a port of its region, in %s", forkRow)
                .anyMatch(forkRow::contains);
        String window = waitFor("const bar = document.querySelector(\"#backups .window-bar[data-service='shop']\");"
                + " return bar && bar.querySelector('.window').getBoundingClientRect().width"
                + " + ' ' + bar.querySelectorAll('.mark').length;");
        assertThat(Double.parseDouble(window.split(" ")[0]))
                .as("the window's width")
                .isPositive();
        assertThat(window.split(" ")[1]).as("the backups marked").isEqualTo("1");
        assertNoError();

        byte[] png = screenshot(SCREENSHOT);
        assertThat(png.length).isGreaterThan(10_000);
        assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");

        List<String> requested = requestedUrls();
        assertThat(requested).contains(base + "/", base + "/dashboard.js", base + "/api/jobs/copy/runs");
        assertThat(requested)
                .as("what the browser asked for beyond its own built-in pages")
                .filteredOn(url -> !url.matches("(chrome|chrome-untrusted|data|about|blob):.*"))
                .allMatch(url -> url.startsWith(base + "/"), "on " + base);
        assertThat(browser.manage().logs().get(LogType.BROWSER).getAll())
                .as("the console shows no error")
                .noneMatch(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue());
    }

    @Test
    void aRunsWarningShowsInItsDetail() throws Exception {
        CliResult later = home.cli("run", "search-later", "--json");
        assertThat(later.exitCode()).as(later.toString()).isZero();
        String run = JSON.readTree(later.out()).path("run").asString();

        browser.get(base + "/#token=" + TestHome.VIEWER_TOKEN);
        By row = By.cssSelector("#runs tr[data-run='" + run + "']");
        waitFor(row);
        click(row);
        String warning = waitFor("const shown = document.querySelector(\"#run-detail[data-run='" + run + "']"
                + " .warning-text\"); return shown && shown.textContent;");

        assertThat(warning).startsWith("Warning: SSO must be reconfigured for this fork: search-later-" + run);
        assertNoError();
    }

    @Test
    void aRefusedTokenShowsAsAnError() {
        browser.get(base + "/#token=not-a-token");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> browser.findElement(By.id("error")).getText(), text -> text.contains("401"));
        assertThat(browser.findElement(By.id("token-form")).isDisplayed()).isTrue();
        browser.get(base + "/#token=" + TestHome.OPERATOR_TOKEN);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> browser.findElement(By.id("error")).getText().isEmpty());
    }

    // ---- helpers

    /** The first element {@code selector} finds, once there is one; fails at once if the page shows an error. */
    static WebElement waitFor(By selector) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            assertNoError();
            List<WebElement> found = browser.findElements(selector);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            if (System.nanoTime() > deadline) {
                fail("the page shows no " + selector + " after 30 s");
            }
            Thread.sleep(100);
        }
    }

    /** Clicks what {@code selector} finds, again if the page redrew it meanwhile (it does every 2 s). */
    static void click(By selector) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                waitFor(selector).click();
                return;
            } catch (StaleElementReferenceException redrawn) {
                if (attempt == 5) {
                    throw redrawn;
                }
            }
        }
    }

    static void assertNoError() {
        assertThat(browser.findElement(By.id("error")).getText())
                .as("the dashboard's #error")
                .isEmpty();
    }

    /** The states of the selected run's steps, in order, e.g. {@code COMPLETED STARTED PENDING ...}. */
    static String stepStates() {
        return read("return [...document.querySelectorAll('#run-detail [data-step]')]"
                + ".map(step => step.dataset.state).join(' ');");
    }

    static byte[] screenshot(Path file) throws IOException {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, png);
        return Files.readAllBytes(file);
    }

    static long completed(String states) {
        return List.of(states.split(" ")).stream().filter("COMPLETED"::equals).count();
    }

    /** What {@code script} returns from the page, read at one moment (the page redraws every 2 s). */
    static String read(String script) {
        Object value = ((JavascriptExecutor) browser).executeScript(script);
        return value == null ? null : value.toString();
    }

    /** What {@code script} returns, once it returns something; fails at once if the page shows an error. */
    static String waitFor(String script) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            assertNoError();
            String value = read(script);
            if (value != null && !value.isEmpty()) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                fail("the page shows nothing for " + script + " after 30 s");
            }
            Thread.sleep(100);
        }
    }

    /** Every URL the page asked for, from Chromium's performance log. */
    static List<String> requestedUrls() {
        List<String> urls = new ArrayList<>();
        for (LogEntry entry : browser.manage().logs().get(LogType.PERFORMANCE).getAll()) {
            JsonNode message = JSON.readTree(entry.getMessage()).path("message");
            if (message.path("method").asText().equals("Network.requestWillBeSent")) {
                urls.add(message.path("params").path("request").path("url").asText());
            }
        }
        return urls;
    }
}
