package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A home with a real source, a verified backup and nodes ({@code serve} processes) that tests start and stop. */
final class ScheduledHome implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    final TestHome home;
    final TestSource source;

    private ScheduledHome(TestHome home, TestSource source) {
        this.home = home;
        this.source = source;
    }

    /** A home whose region has 20 ports; {@code runs} is the forkrunner.yml runs section (or empty). */
    static ScheduledHome create(String name, String runs) {
        TestHome home = TestHome.create(name);
        TestSource source = TestSource.start(home, "shop", "Shop-pw-" + name.hashCode());
        source.sql("create table items as select g as id from generate_series(1, 1000) g");
        home.addSettings(runs);
        home.declareServices(Ports.range(20), source.serviceYaml("eu-local", "{ keep: 2, wal: stream }"));
        ScheduledHome scheduled = new ScheduledHome(home, source);
        home.backUp("shop");
        return scheduled;
    }

    void job(String name, String schedule, String more) {
        home.job(name, """
                source: shop
                target:
                  name: %s-{run}
                schedule:
                %s\
                checks:
                  - select count(*) = 1000 from items
                retention:
                  keep: 1
                %s""".formatted(name, schedule, more));
    }

    Process node(String name) {
        Process node = home.start(name, Map.of(), "serve");
        await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> home.read("var/log/" + name + ".out").contains("schedules started"));
        return node;
    }

    /**
     * Declares {@code jobs} (name to more schedule lines, e.g. {@code overlap}) with one cron that fires {@code count}
     * times {@code gap} seconds apart, the first {@code lead} seconds from now, while a node runs: its watcher loads
     * them. Until the node shows them scheduled before their first fire, declares them again with later times: a slow
     * node never misses the fire a test waits for. {@code more} is added to each job (after {@code retention:}).
     */
    Instant[] scheduleAhead(int lead, int gap, int count, Map<String, String> jobs, String more)
            throws InterruptedException {
        return scheduleAhead(
                home,
                lead,
                gap,
                count,
                jobs.keySet(),
                (name, cron) -> job(name, "  cron: \"" + cron + "\"\n  zone: UTC\n" + jobs.get(name), more));
    }

    /**
     * Declares the jobs {@code names} of {@code home} by {@code declare} (a job's name and its cron) with one cron that
     * fires {@code count} times {@code gap} seconds apart, the first {@code lead} seconds from now, while a node runs,
     * and again with later times until the node shows them all scheduled before their first fire.
     */
    static Instant[] scheduleAhead(
            TestHome home, int lead, int gap, int count, Collection<String> names, BiConsumer<String, String> declare)
            throws InterruptedException {
        for (int attempt = 0; attempt < 5; attempt++) {
            StringBuilder cron = new StringBuilder();
            Instant[] fires = fireTimes(lead, gap, count, cron);
            names.forEach(name -> declare.accept(name, cron.toString()));
            String first = fires[0].toString();
            while (Instant.now().isBefore(fires[0].minusMillis(500))) {
                if (names.stream().allMatch(name -> nextFires(home, name).contains(first))) {
                    return fires;
                }
                Thread.sleep(500);
            }
        }
        throw new AssertionError("no node loaded " + names + " before their first fire, five times");
    }

    private static List<String> nextFires(TestHome home, String job) {
        try {
            List<String> fires = new ArrayList<>();
            schedule(home, job).path("schedule").path("nextFires").forEach(fire -> fires.add(fire.asText()));
            return fires;
        } catch (AssertionError notYet) {
            return List.of();
        }
    }

    /** The runs of a job, oldest first. */
    List<JsonNode> runs(String job) {
        CliResult status = home.cli("status", "--json");
        assertThat(status.exitCode()).as(status.toString()).isZero();
        List<JsonNode> runs = new ArrayList<>();
        for (JsonNode run : JSON.readTree(status.out())) {
            if (run.path("job").asText().equals(job)) {
                runs.add(0, run);
            }
        }
        return runs;
    }

    /**
     * A cron that fires at {@code count} instants {@code gap} seconds apart, the first {@code lead} seconds from now,
     * all within one minute (waits for the next minute when this one is too far gone); in UTC.
     */
    static Instant[] fireTimes(int lead, int gap, int count, StringBuilder cron) throws InterruptedException {
        java.time.ZonedDateTime now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
        int span = lead + gap * (count - 1);
        if (now.getSecond() + span > 57) {
            Thread.sleep((60 - now.getSecond()) * 1000L + 500);
            now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
        }
        Instant[] times = new Instant[count];
        StringBuilder seconds = new StringBuilder();
        for (int i = 0; i < count; i++) {
            int second = now.getSecond() + lead + gap * i;
            seconds.append(i == 0 ? "" : ",").append(second);
            times[i] = now.withSecond(second).withNano(0).toInstant();
        }
        cron.append(seconds)
                .append(' ')
                .append(now.getMinute())
                .append(' ')
                .append(now.getHour())
                .append(" * * ?");
        return times;
    }

    /** Waits until {@code instant} has passed. */
    static void sleepUntil(Instant instant) throws InterruptedException {
        long millis = java.time.Duration.between(Instant.now(), instant).toMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }

    JsonNode schedule(String job) {
        return schedule(home, job);
    }

    static JsonNode schedule(TestHome home, String job) {
        for (JsonNode schedule : JSON.readTree(home.cli("schedules", "--json").out())) {
            if (schedule.path("schedule").path("job").asText().equals(job)) {
                return schedule;
            }
        }
        throw new AssertionError("no schedule of " + job);
    }

    int executions(long run) throws Exception {
        try (var metadata = home.metadataConnection();
                var statement = metadata.createStatement();
                var row = statement.executeQuery(
                        "select count(*) from batch_job_execution where job_instance_id = " + run)) {
            row.next();
            return row.getInt(1);
        }
    }

    @Override
    public void close() {
        home.close();
    }
}
