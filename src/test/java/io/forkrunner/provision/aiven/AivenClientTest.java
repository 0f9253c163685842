package io.forkrunner.provision.aiven;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.forkrunner.system.Secret;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Calls to the Aiven API, against the simulator: the token sent, refusals shown, and what is tried again. */
class AivenClientTest {

    private static final String TOKEN = "aiven-token-7c1e40";
    private static final String SERVICE = "/v1/project/acme/service/orders";

    private AivenSimulator aiven;
    private final List<Duration> pauses = new ArrayList<>();
    private AivenClient client;

    @BeforeEach
    void start() throws Exception {
        aiven = AivenSimulator.start(TOKEN);
        aiven.addService("acme", "orders", "pg", "startup-4", 1);
        client = new AivenClient(
                aiven.url(), new Secret(TOKEN), "${env:AIVEN_TOKEN}", Duration.ofSeconds(2), 4, pauses::add);
    }

    @AfterEach
    void stop() {
        aiven.close();
    }

    @Test
    void aCallCarriesTheTokenInAnAivenAuthorizationHeaderAndReturnsTheAnswer() {
        JsonNode answer = client.get(SERVICE);

        assertThat(answer.path("service").path("service_name").asString()).isEqualTo("orders");
        assertThat(aiven.calls()).singleElement().satisfies(call -> {
            assertThat(call.method()).isEqualTo("GET");
            assertThat(call.path()).isEqualTo(SERVICE);
            assertThat(call.authorization()).isEqualTo("aivenv1 " + TOKEN);
        });
        assertThat(client.toString()).contains("${env:AIVEN_TOKEN}").doesNotContain(TOKEN);
    }

    @Test
    void tooManyRequestsIsTriedAgainAfterTheWaitRetryAfterAsksFor() {
        aiven.failNext("GET", SERVICE, 429, Map.of("Retry-After", "7"), AivenSimulator.error("Slow down", 429));

        JsonNode answer = client.get(SERVICE);

        assertThat(answer.path("service").path("state").asString()).isEqualTo("RUNNING");
        assertThat(aiven.calls(("GET"), SERVICE)).hasSize(2);
        assertThat(pauses).containsExactly(Duration.ofSeconds(7));
    }

    @Test
    void aServerErrorIsTriedAgainWithBackOffUntilTheAttemptsAreSpentThenFailsWithWhatWasSeen() {
        for (int i = 0; i < 4; i++) {
            aiven.failNext("GET", SERVICE, 503, Map.of(), AivenSimulator.error("Service Unavailable " + i, 503));
        }

        AivenApiException failure = catchThrowableOfType(AivenApiException.class, () -> client.get(SERVICE));

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage())
                .contains("after 4 attempts", "503 Service Unavailable 0", "503 Service Unavailable 3");
        assertThat(aiven.calls("GET", SERVICE)).hasSize(4);
        assertThat(pauses).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8));
    }

    @Test
    void aServerErrorThatPassesIsNotSeenByTheCaller() {
        aiven.failNext("POST", "/v1/project/acme/service", 502, Map.of(), "<html>Bad Gateway</html>");

        JsonNode answer = client.post(
                "/v1/project/acme/service",
                Map.of("service_name", "orders-dev", "service_type", "pg", "plan", "startup-4"));

        assertThat(answer.path("service").path("state").asString()).isEqualTo("REBUILDING");
        assertThat(aiven.calls("POST", "/v1/project/acme/service")).hasSize(2);
    }

    @Test
    void aForbiddenCallFailsAtOnceWithTheApisMessageNamingTheTokensReferenceNeverTheToken() {
        aiven.failNext("GET", SERVICE, 403, Map.of(), AivenSimulator.error("Project access denied", 403));

        AivenApiException failure = catchThrowableOfType(AivenApiException.class, () -> client.get(SERVICE));

        assertThat(failure.status()).isEqualTo(403);
        assertThat(failure.getMessage())
                .contains("403", "Project access denied", "${env:AIVEN_TOKEN}")
                .doesNotContain(TOKEN);
        assertThat(aiven.calls()).hasSize(1);
        assertThat(pauses).isEmpty();
    }

    @Test
    void aWrongTokenIsRefusedAtOnce() {
        AivenClient wrong = new AivenClient(
                aiven.url(),
                new Secret("not-the-token"),
                "${file:var/secrets/aiven}",
                Duration.ofSeconds(2),
                4,
                pauses::add);

        AivenApiException failure = catchThrowableOfType(AivenApiException.class, () -> wrong.get(SERVICE));

        assertThat(failure.getMessage()).contains("Invalid token", "${file:var/secrets/aiven}");
        assertThat(aiven.calls()).hasSize(1);
    }

    @Test
    void aRefusalShowsTheApisMessageAndErrorsAndIsNotTriedAgain() {
        AivenApiException failure =
                catchThrowableOfType(AivenApiException.class, () -> client.get("/v1/project/acme/service/missing"));

        assertThat(failure.notFound()).isTrue();
        assertThat(failure.getMessage()).contains("404", "Service missing does not exist [simulated]");
        assertThat(aiven.calls()).hasSize(1);
    }

    @Test
    void creatingAServiceThatExistsIsAConflictTheCallerCanTell() {
        AivenApiException failure = catchThrowableOfType(
                AivenApiException.class,
                () -> client.post(
                        "/v1/project/acme/service",
                        Map.of("service_name", "orders", "service_type", "pg", "plan", "startup-4")));

        assertThat(failure.alreadyExists()).isTrue();
    }

    @Test
    void aCallWithoutAnAnswerWithinItsTimeoutIsTriedAgain() {
        aiven.delayNext("GET", SERVICE, Duration.ofSeconds(5));

        JsonNode answer = client.get(SERVICE);

        assertThat(answer.path("service").path("service_name").asString()).isEqualTo("orders");
        assertThat(aiven.calls("GET", SERVICE)).hasSize(2);
        assertThat(pauses).containsExactly(Duration.ofSeconds(2));
    }

    @Test
    void aNameThatIsNotOnePathSegmentIsRefusedBeforeAnyCall() {
        assertThat(AivenClient.segment("orders-dev")).isEqualTo("orders-dev");
        for (String bad : List.of("../other", "a/b", "", "x y", "orders?x=1")) {
            assertThat(catchThrowableOfType(Exception.class, () -> AivenClient.segment(bad)))
                    .as(bad)
                    .isNotNull();
        }
    }
}
