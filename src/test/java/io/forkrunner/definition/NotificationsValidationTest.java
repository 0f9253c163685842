package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.forkrunner.definition.JobDefinition.LongerThan;
import io.forkrunner.definition.JobDefinition.Notification;
import io.forkrunner.definition.JobDefinition.NotifyOn;
import io.forkrunner.definition.JobDefinition.TimesUsual;
import io.forkrunner.system.Problem;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** A job's {@code notifications}: on failure, on success, or when a run takes longer than {@code after}. */
class NotificationsValidationTest {

    private final DefinitionHome home = DefinitionHome.create();

    @Test
    void everyEventAndBothFormsOfThresholdAreRead() {
        home.job("shop-dev", DefinitionHome.JOB + """
                notifications:
                  - { on: failure, url: "https://hooks.example.com/failed" }
                  - { on: success, url: "http://127.0.0.1:8089/done" }
                  - { on: long-running, url: "http://127.0.0.1:8089/slow", after: 30m }
                  - { on: long-running, url: "http://127.0.0.1:8089/slower", after: 2x }
                  - { on: long-running, url: "http://127.0.0.1:8089/slowish", after: 1.5x }
                  - { on: failure, url: "http://127.0.0.1:8089/done" }
                """);

        List<Notification> notifications = home.read().jobs().get("shop-dev").notifications();

        assertThat(notifications)
                .containsExactly(
                        new Notification(NotifyOn.FAILURE, URI.create("https://hooks.example.com/failed"), null),
                        new Notification(NotifyOn.SUCCESS, URI.create("http://127.0.0.1:8089/done"), null),
                        new Notification(
                                NotifyOn.LONG_RUNNING,
                                URI.create("http://127.0.0.1:8089/slow"),
                                new LongerThan(Duration.ofMinutes(30))),
                        new Notification(
                                NotifyOn.LONG_RUNNING,
                                URI.create("http://127.0.0.1:8089/slower"),
                                new TimesUsual(new BigDecimal("2"))),
                        new Notification(
                                NotifyOn.LONG_RUNNING,
                                URI.create("http://127.0.0.1:8089/slowish"),
                                new TimesUsual(new BigDecimal("1.5"))),
                        new Notification(NotifyOn.FAILURE, URI.create("http://127.0.0.1:8089/done"), null));
        assertThat(notifications.get(2).after().text()).isEqualTo("30m");
        assertThat(notifications.get(4).after().text()).isEqualTo("1.5x");
    }

    @Test
    void notificationsWrittenAsABlockListAreRead() {
        home.job("shop-dev", DefinitionHome.JOB + """
                notifications:
                  - on: long-running
                    url: https://hooks.example.com/slow
                    after: 2h
                """);

        assertThat(home.read().jobs().get("shop-dev").notifications())
                .containsExactly(new Notification(
                        NotifyOn.LONG_RUNNING,
                        URI.create("https://hooks.example.com/slow"),
                        new LongerThan(Duration.ofHours(2))));
    }

    @Test
    void anEventThatIsNotAChoiceIsRefusedWithTheChoices() {
        home.job("shop-dev", DefinitionHome.JOB + "notifications:\n  - { on: failed, url: \"http://h.example/f\" }\n");

        assertThat(home.problem())
                .extracting(Problem::file, Problem::line, Problem::field, Problem::value, Problem::examples)
                .containsExactly(
                        "jobs/shop-dev.yml",
                        5,
                        "notifications[0].on",
                        "failed",
                        List.of("failure", "success", "long-running"));
    }

    @Test
    void anItemWithoutOnOrUrlIsRefusedForEach() {
        home.job("shop-dev", DefinitionHome.JOB + "notifications:\n  - { after: 30m }\n");

        List<Problem> problems = home.problems();

        assertThat(problems)
                .as(DefinitionHome.describe(problems))
                .extracting(Problem::file, Problem::line, Problem::field, Problem::value, Problem::message)
                .containsExactlyInAnyOrder(
                        tuple("jobs/shop-dev.yml", 5, "notifications[0].on", null, "is required"),
                        tuple("jobs/shop-dev.yml", 5, "notifications[0].url", null, "is required"));
        assertThat(home.report())
                .contains("jobs/shop-dev.yml:5: notifications[0].on: missing: is required; valid examples: failure,"
                        + " success, long-running");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/hooks", "127.0.0.1:8089/hooks", "http://", "hooks"})
    void aUrlThatIsNotHttpOrHttpsIsRefused(String url) {
        home.job("shop-dev", DefinitionHome.JOB + "notifications:\n  - { on: success, url: \"" + url + "\" }\n");

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::value, Problem::message, Problem::examples)
                .containsExactly(
                        5,
                        "notifications[0].url",
                        url,
                        "is not an http or https URL",
                        List.of("http://127.0.0.1:8089/forks"));
    }

    @Test
    void longRunningWithoutAfterIsRefused() {
        home.job(
                "shop-dev",
                DefinitionHome.JOB + "notifications:\n  - { on: long-running, url: \"http://h.example/slow\" }\n");

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::file, Problem::line, Problem::field, Problem::value, Problem::message)
                .containsExactly(
                        "jobs/shop-dev.yml", 5, "notifications[0].after", null, "is required with on: long-running");
        assertThat(problem.examples()).containsExactly("30m", "2h", "2x", "1.5x");
    }

    @ParameterizedTest
    @CsvSource({"failure, 30m", "success, 2x"})
    void afterWithAnotherEventIsRefused(String on, String after) {
        home.job(
                "shop-dev",
                DefinitionHome.JOB + "notifications:\n  - { on: " + on + ", url: \"http://h.example/n\", after: "
                        + after + " }\n");

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::value, Problem::message, Problem::examples)
                .containsExactly(
                        5,
                        "notifications[0].after",
                        after,
                        "is only allowed with on: long-running",
                        List.of("on: long-running"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "0x", "x", "-2x", "2", "2X", "1.5h", "0s", "2 x", "1.2345x", "PT30M"})
    void aThresholdThatIsNeitherADurationNorAMultipleIsRefused(String after) {
        home.job(
                "shop-dev",
                DefinitionHome.JOB + "notifications:\n  - { on: long-running, url: \"http://h.example/slow\", after: \""
                        + after + "\" }\n");

        Problem problem = home.problem();

        assertThat(problem)
                .extracting(Problem::file, Problem::line, Problem::field, Problem::value)
                .containsExactly("jobs/shop-dev.yml", 5, "notifications[0].after", after);
        assertThat(problem.message()).startsWith("is not a duration, nor a multiple of the job's usual duration");
        assertThat(problem.toString()).contains("valid examples: 30m, 2h, 2x, 1.5x");
    }

    @Test
    void theSameEventAndUrlTwiceIsRefusedAtTheSecond() {
        home.job("shop-dev", DefinitionHome.JOB + """
                notifications:
                  - { on: long-running, url: "http://h.example/slow", after: 30m }
                  - { on: long-running, url: "http://h.example/slow", after: 2x }
                """);

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::value)
                .containsExactly(6, "notifications[1].url", "http://h.example/slow");
        assertThat(home.problem().message()).startsWith("is named twice for on: long-running");
    }

    @Test
    void notificationsAreAList() {
        home.job("shop-dev", DefinitionHome.JOB + "notifications:\n  on: failure\n  url: \"http://h.example/f\"\n");

        assertThat(home.problem())
                .extracting(Problem::line, Problem::field, Problem::message)
                .containsExactly(5, "notifications", "must be a list");
    }

    @Test
    void everyBadItemIsReportedAtOnce() {
        home.job("shop-dev", DefinitionHome.JOB + """
                notifications:
                  - { on: failure, url: "mailto:ops@example.com" }
                  - { on: long-running, url: "http://h.example/slow", after: often }
                  - { on: success, url: "http://h.example/done", after: 1h }
                """);

        List<Problem> problems = home.problems();

        assertThat(problems)
                .as(DefinitionHome.describe(problems))
                .extracting(Problem::line, Problem::field, Problem::value)
                .containsExactlyInAnyOrder(
                        tuple(5, "notifications[0].url", "mailto:ops@example.com"),
                        tuple(6, "notifications[1].after", "often"),
                        tuple(7, "notifications[2].after", "1h"));
    }
}
