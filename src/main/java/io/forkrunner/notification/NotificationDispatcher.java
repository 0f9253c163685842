package io.forkrunner.notification;

import io.forkrunner.notification.NotificationRecords.Due;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.function.SingletonSupplier;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Delivers pending notifications: a JSON POST each, retried with growing back-off (1 s, doubling, at most a minute)
 * until the receiver answers 2xx. Each attempt happens inside a transaction that holds its row ({@code for update skip
 * locked}), so that any node can deliver any pending notification and two nodes never make the same attempt. Pending
 * rows survive restarts. {@code serve} runs it every second; a CLI process that ran a run makes one attempt at that
 * run's notifications before it exits.
 */
@Component
public class NotificationDispatcher {

    private static final Logger log = LoggerFactory.getLogger(NotificationDispatcher.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration POLL = Duration.ofSeconds(1);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration LONGEST_RETRY = Duration.ofMinutes(1);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final int AT_MOST_PER_PASS = 100;

    private final NotificationRecords records;
    private final TransactionTemplate transactions;
    /** Made at the first delivery: a command that sends no notification starts no HTTP client threads. */
    private final SingletonSupplier<HttpClient> http = SingletonSupplier.of(() -> HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build());

    private ScheduledExecutorService executor;

    NotificationDispatcher(NotificationRecords records, TransactionTemplate transactions) {
        this.records = records;
        this.transactions = transactions;
    }

    /** Delivers due notifications every second from now on, in the background. */
    public synchronized void start() {
        if (executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "notifications");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::deliverDue, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    synchronized void stop() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /** One attempt at each due notification of the run; the others are left to {@code serve}. Never throws. */
    public void deliverOnce(long runId) {
        attemptAll(runId);
    }

    void deliverDue() {
        attemptAll(null);
    }

    private void attemptAll(Long runId) {
        try {
            for (int i = 0; i < AT_MOST_PER_PASS && attemptNext(runId); i++) {
                // an attempt that fails is due again only after its back-off: each one is tried once per pass
            }
        } catch (RuntimeException e) {
            log.warn("cannot deliver notifications now: {}", e.toString());
        }
    }

    /** Claims the next due notification and makes one attempt; false when none is due (or all are held elsewhere). */
    private boolean attemptNext(Long runId) {
        return Boolean.TRUE.equals(transactions.execute(status -> {
            Optional<Due> claimed = records.claimNext(runId);
            if (claimed.isEmpty()) {
                return false;
            }
            Due due = claimed.get();
            Optional<String> refusal = post(due);
            int attempt = due.attempts() + 1;
            if (refusal.isEmpty()) {
                records.delivered(due);
                log.info(
                        "notification {} ({} of {}) delivered to {} at attempt {}",
                        due.id(),
                        due.event(),
                        due.about(),
                        shown(due.url()),
                        attempt);
            } else {
                Duration retryIn = retryIn(attempt);
                records.refused(due, refusal.get(), retryIn);
                log.warn(
                        "notification {} ({} of {}) to {}: attempt {} failed ({}); next in {} s",
                        due.id(),
                        due.event(),
                        due.about(),
                        shown(due.url()),
                        attempt,
                        refusal.get(),
                        retryIn.toSeconds());
            }
            return true;
        }));
    }

    /** One POST; empty when the receiver answered 2xx, else what went wrong. */
    private Optional<String> post(Due due) {
        ObjectNode body = JSON.createObjectNode().put("id", due.id());
        JSON.readTree(due.body()).properties().forEach(field -> body.set(field.getKey(), field.getValue()));
        HttpRequest request = HttpRequest.newBuilder(due.url())
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header("User-Agent", "forkrunner")
                .header("X-Forkrunner-Notification", String.valueOf(due.id()))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        try {
            HttpResponse<Void> response = http.obtain().send(request, HttpResponse.BodyHandlers.discarding());
            return response.statusCode() / 100 == 2 ? Optional.empty() : Optional.of("HTTP " + response.statusCode());
        } catch (IOException e) {
            return Optional.of(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while delivering notification " + due.id(), e);
        }
    }

    /** 1 s after the first failed attempt, doubling after each, at most a minute. */
    static Duration retryIn(int attempts) {
        int doublings = Math.min(attempts - 1, 16);
        Duration wait = FIRST_RETRY.multipliedBy(1L << doublings);
        return wait.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : wait;
    }

    /** The URL as logged: without user info or query, which may carry a token. */
    private static String shown(URI url) {
        try {
            return new URI(url.getScheme(), null, url.getHost(), url.getPort(), url.getPath(), null, null).toString();
        } catch (URISyntaxException e) {
            return url.getScheme() + "://" + url.getHost();
        }
    }
}
