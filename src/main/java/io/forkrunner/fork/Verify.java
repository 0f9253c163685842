package io.forkrunner.fork;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.ForkrunnerException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Step 7: the job's checks must return true on the fork and its SQL test files must run clean; each result and its
 * time go into the report, and the run fails after all ran if one did not pass. Every table must read; per-table row
 * counts go into the report (unlogged tables come back empty from a physical restore: the report says so). A logical
 * fork is held to the temporary restore it was dumped from: a table loaded with other rows fails the run; a fork into a
 * newer major also reports the extensions and settings that differ between the two versions.
 */
@Component
class Verify extends ForkStep {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    Verify(ForkServices services) {
        super("verify", services);
    }

    @Override
    void execute(Run run) {
        ForkPlan plan = run.plan();
        Engine engine = services.engine(plan);
        Endpoint fork = services.forkEndpoint(plan);
        String database = services.database(plan, run.job());
        List<String> failed = checksAndTests(run, services, engine, fork, database);
        if (plan.logical()) {
            failed.addAll(compareWithTemporaryRestore(run, plan, engine, fork));
        }
        if (!failed.isEmpty()) {
            throw new ForkrunnerException(String.join("; ", failed));
        }
        List<TableCount> counts = plan.intoServer()
                ? engine.inspection().tableCounts(fork, database)
                : engine.inspection().tableCounts(fork);

        Map<String, Long> rows = new LinkedHashMap<>();
        counts.forEach(count -> rows.put(count.qualifiedName(), count.rows()));
        run.report("rows", JSON.writeValueAsString(rows));
        List<String> unlogged = counts.stream()
                .filter(TableCount::unlogged)
                .map(TableCount::qualifiedName)
                .toList();
        if (!unlogged.isEmpty()) {
            run.report("unlogged-empty", String.join(", ", unlogged));
        }
    }

    /**
     * Runs the job's checks and SQL test files on the fork through {@code fork}, reporting each result and its time;
     * returns a failure for each that did not pass (all run first).
     */
    static List<String> checksAndTests(Run run, ForkServices services, Engine engine, Endpoint fork, String database) {
        ForkPlan plan = run.plan();
        List<String> failed = new ArrayList<>();
        Map<String, String> results = new LinkedHashMap<>();
        for (String check : run.job().checks()) {
            long started = System.nanoTime();
            String result;
            try {
                result = engine.inspection().check(fork, database, check) ? "true" : "false";
            } catch (ForkrunnerException e) {
                result = "error: " + e.getMessage();
            }
            results.put("check: " + check, result + " in " + took(started));
            if (!result.equals("true")) {
                failed.add("check failed on fork " + plan.fork() + " (database " + database + "): " + check
                        + (result.startsWith("error: ") ? " (" + result + ")" : ""));
            }
        }
        for (Path test : run.job().tests()) {
            long started = System.nanoTime();
            String result;
            try {
                engine.inspection()
                        .runSql(
                                fork,
                                database,
                                test,
                                services.home()
                                        .logs()
                                        .resolve("runs")
                                        .resolve(run.runId() + "-test-" + test.getFileName() + ".log"));
                result = "passed";
            } catch (ForkrunnerException e) {
                result = "failed: " + e.getMessage().lines().findFirst().orElse("");
                failed.add("test " + test.getFileName() + " failed on fork " + plan.fork() + " (" + result + ")");
            }
            results.put("test: " + services.home().relative(test), result + " in " + took(started));
        }
        run.report("checks", String.valueOf(run.job().checks().size()));
        if (!results.isEmpty()) {
            run.report("results", JSON.writeValueAsString(results));
        }
        return failed;
    }

    /**
     * A logical fork against the temporary restore it was dumped from (never the source): the rows each table had
     * when the load ended, before any integration ran; for a fork with an instance of its own, the extensions whose
     * versions differ and the settings one version has and the other not, or with defaults apart. Returns a failure
     * for each table whose rows differ.
     */
    private static List<String> compareWithTemporaryRestore(Run run, ForkPlan plan, Engine engine, Endpoint fork) {
        DumpedFrom dumped = run.kept(DumpedFrom.KEY, DumpedFrom.class);
        DumpedFrom.Loaded loaded = run.kept(DumpedFrom.Loaded.KEY, DumpedFrom.Loaded.class);
        if (dumped == null || loaded == null) {
            run.report("rows-compared", "no: this run restored before forkrunner kept the temporary restore's rows");
            return List.of();
        }
        if (!plan.intoServer()) {
            run.report(
                    "extensions-differ",
                    JSON.writeValueAsString(
                            differences(dumped.extensions(), engine.inspection().extensions(fork))));
            run.report(
                    "settings-differ",
                    JSON.writeValueAsString(differences(
                            dumped.settingDefaults(),
                            engine.settings()
                                    .map(settings -> settings.defaults(fork))
                                    .orElse(Map.of()))));
        }
        List<String> differences = dumped.rowDifferences(loaded.rows());
        run.report(
                "rows-compared",
                dumped.rows().size() + " tables with the temporary restore of backup " + dumped.backupId() + ", "
                        + differences.size() + " differ");
        return differences;
    }

    /** For every key whose value differs: {@code "old -> new"}, with {@code "-"} where one side lacks it. */
    static Map<String, String> differences(Map<String, String> before, Map<String, String> after) {
        Map<String, String> differences = new LinkedHashMap<>();
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        for (String key : keys) {
            String old = before.getOrDefault(key, "-");
            String now = after.getOrDefault(key, "-");
            if (!old.equals(now)) {
                differences.put(key, old + " -> " + now);
            }
        }
        return differences;
    }

    private static String took(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos).toMillis() + " ms";
    }
}
