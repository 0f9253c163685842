package io.forkrunner.provision.aiven;

import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Secret;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.NullNode;

/**
 * Calls to the Aiven REST API ({@code /v1/...} under its base URL), each with the token in an {@code aivenv1}
 * authorization header, a timeout, and JSON both ways. A refusal shows the API's {@code message} and {@code errors[]};
 * 401 and 403 fail at once naming where the token comes from (never the token); 429, 5xx other than 501, and calls
 * that got no answer are tried again with back-off, waiting as long as a {@code Retry-After} asks.
 */
public final class AivenClient {

    /** How a client waits between attempts: by sleeping, or as a test records it. */
    @FunctionalInterface
    public interface Pause {
        void sleep(Duration duration) throws InterruptedException;
    }

    static final Pause SLEEP = duration -> Thread.sleep(duration.toMillis());

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration FIRST_WAIT = Duration.ofSeconds(2);
    private static final Duration LONGEST_BACK_OFF = Duration.ofSeconds(30);
    /** The longest a {@code Retry-After} is waited for: a longer one is waited this long, then tried again. */
    private static final Duration LONGEST_RETRY_AFTER = Duration.ofMinutes(5);

    private final URI base;
    private final Secret token;
    private final String tokenReference;
    private final Duration callTimeout;
    private final int attempts;
    private final Pause pause;
    private final HttpClient http;

    /**
     * @param tokenReference where the token comes from ({@code ${env:AIVEN_TOKEN}}), named when it is refused
     * @param attempts how many times a call is made at most before its failure is final
     */
    public AivenClient(URI base, Secret token, String tokenReference, Duration callTimeout, int attempts, Pause pause) {
        this.base = base;
        this.token = token;
        this.tokenReference = tokenReference;
        this.callTimeout = callTimeout;
        this.attempts = attempts;
        this.pause = pause;
        this.http = HttpClient.newBuilder()
                .connectTimeout(callTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** A client with forkrunner's defaults: a minute a call, six attempts. */
    public static AivenClient of(URI base, Secret token, String tokenReference) {
        return new AivenClient(base, token, tokenReference, Duration.ofMinutes(1), 6, SLEEP);
    }

    public JsonNode get(String path) {
        return call("GET", path, null);
    }

    public JsonNode post(String path, Object body) {
        return call("POST", path, body);
    }

    public JsonNode put(String path, Object body) {
        return call("PUT", path, body);
    }

    public JsonNode delete(String path) {
        return call("DELETE", path, null);
    }

    /** {@code segment} as one path segment: a name read from the API or a file never becomes another path. */
    public static String segment(String segment) {
        if (!segment.matches("[A-Za-z0-9][-A-Za-z0-9_.:]{0,127}")) {
            throw new ForkrunnerException("not a name the Aiven API takes in a path: \"" + segment + "\"");
        }
        return segment;
    }

    private JsonNode call(String method, String path, Object body) {
        if (!path.startsWith("/v1/")) {
            throw new IllegalArgumentException("an Aiven API path starts with /v1/: " + path);
        }
        String what = method + " " + path;
        byte[] payload = body == null ? null : JSON.writeValueAsBytes(body);
        List<String> tried = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            Duration wait;
            int status = 0;
            try {
                HttpResponse<String> response = http.send(request(method, path, payload), bodyHandler());
                status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return parse(what, response.body());
                }
                String refusal = refusal(response.body());
                if (status == 401 || status == 403) {
                    throw new AivenApiException(
                            "the Aiven API refused " + what + " (" + status + "): " + refusal + "; check the token "
                                    + tokenReference + " and its access to the project",
                            status);
                }
                if (!retried(status)) {
                    throw new AivenApiException(
                            "the Aiven API refused " + what + " (" + status + "): " + refusal, status);
                }
                tried.add(status + " " + refusal);
                wait = retryAfter(response).orElse(backOff(attempt));
            } catch (HttpTimeoutException e) {
                tried.add("no answer within " + callTimeout);
                wait = backOff(attempt);
            } catch (IOException e) {
                tried.add("cannot reach " + base + ": " + e.getMessage());
                wait = backOff(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ForkrunnerException("interrupted while calling the Aiven API: " + what);
            }
            if (attempt >= attempts) {
                throw new AivenApiException(
                        "the Aiven API did not answer " + what + " after " + attempts + " attempts: "
                                + String.join("; ", tried),
                        status);
            }
            try {
                pause.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ForkrunnerException("interrupted while waiting to call the Aiven API again: " + what);
            }
        }
    }

    private HttpRequest request(String method, String path, byte[] payload) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(callTimeout)
                .header("Authorization", "aivenv1 " + token.reveal())
                .header("Accept", "application/json")
                .header("User-Agent", "forkrunner");
        if (payload == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(payload));
        }
        return request.build();
    }

    private static HttpResponse.BodyHandler<String> bodyHandler() {
        return HttpResponse.BodyHandlers.ofString();
    }

    /** 429 (too many requests), and server errors that may pass: 5xx other than 501 (not implemented). */
    private static boolean retried(int status) {
        return status == 429 || (status >= 500 && status != 501);
    }

    private static JsonNode parse(String what, String body) {
        if (body == null || body.isBlank()) {
            return NullNode.getInstance();
        }
        try {
            return JSON.readTree(body);
        } catch (JacksonException e) {
            throw new AivenApiException(
                    "the Aiven API answered " + what + " with what is not JSON: "
                            + body.substring(0, Math.min(200, body.length())),
                    200);
        }
    }

    /** The API's {@code message} and the messages of its {@code errors[]} (objects, strings or one string). */
    static String refusal(String body) {
        if (body == null || body.isBlank()) {
            return "(no message)";
        }
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JacksonException e) {
            return body.substring(0, Math.min(200, body.length())).strip();
        }
        List<String> parts = new ArrayList<>();
        String message = node.path("message").asString("");
        if (!message.isEmpty()) {
            parts.add(message);
        }
        JsonNode errors = node.path("errors");
        if (errors.isString() && !errors.asString().equals(message)) {
            parts.add(errors.asString());
        }
        for (JsonNode error : errors.isArray() ? errors : List.<JsonNode>of()) {
            String text =
                    error.isString() ? error.asString() : error.path("message").asString("");
            String code = error.path("error_code").asString("");
            String entry = code.isEmpty() ? text : text + " [" + code + "]";
            if (!entry.isEmpty() && !entry.equals(message)) {
                parts.add(entry);
            }
        }
        return parts.isEmpty() ? body.substring(0, Math.min(200, body.length())).strip() : String.join("; ", parts);
    }

    /** How long a {@code Retry-After} asks to wait (seconds or an HTTP date), at most five minutes. */
    private static Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(value -> {
            Duration wait = null;
            if (value.strip().matches("[0-9]{1,9}")) {
                wait = Duration.ofSeconds(Long.parseLong(value.strip()));
            } else {
                try {
                    Instant at = ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME)
                            .toInstant();
                    wait = Duration.between(Instant.now(), at);
                } catch (DateTimeParseException e) {
                    return Optional.empty();
                }
            }
            if (wait.isNegative()) {
                wait = Duration.ZERO;
            }
            return Optional.of(wait.compareTo(LONGEST_RETRY_AFTER) > 0 ? LONGEST_RETRY_AFTER : wait);
        });
    }

    /** 2 s, 4 s, 8 s, ... at most 30 s. */
    private static Duration backOff(int attempt) {
        Duration wait = FIRST_WAIT.multipliedBy(1L << Math.min(attempt - 1, 10));
        return wait.compareTo(LONGEST_BACK_OFF) > 0 ? LONGEST_BACK_OFF : wait;
    }

    @Override
    public String toString() {
        return "Aiven API at " + base + " (token " + tokenReference + ")";
    }
}
