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
 * counts go into the report (unlogged tables come back empty from a physical restore: the report says so). A fork
 * into a newer major also reports the extensions and settings that differ between the two versions.
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
        List<String> failed = new ArrayList<>();
        Map<String, String> results = new LinkedHashMap<>();
        for (String check : run.job().checks()) {
            long started = System.nanoTime();
            String result;
            try {
                result = engine.check(fork, database, check) ? "true" : "false";
            } catch (ForkrunnerException e) {
                result = "error: " + e.getMessage();
            }
            results.put("check: " + check, result + " in " + took(started));
            if (!result.equals("true")) {
                failed.add("check failed on fork " + plan.fork() + " (database " + database + "): " + check);
            }
        }
        for (Path test : run.job().tests()) {
            long started = System.nanoTime();
            String result;
            try {
                engine.runSql(
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
                failed.add("test " + test.getFileName() + " failed on fork " + plan.fork());
            }
            results.put("test: " + services.home().relative(test), result + " in " + took(started));
        }
        run.report("checks", String.valueOf(run.job().checks().size()));
        if (!results.isEmpty()) {
            run.report("results", JSON.writeValueAsString(results));
        }
        if (plan.logical() && !plan.intoServer()) {
            reportDifferences(run, engine, services.sourceEndpoint(plan), fork);
        }
        if (!failed.isEmpty()) {
            throw new ForkrunnerException(String.join("; ", failed));
        }
        List<TableCount> counts = plan.intoServer() ? engine.tableCounts(fork, database) : engine.tableCounts(fork);

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

    /** The extensions whose versions differ, and the settings one version has and the other not, or defaults apart. */
    private static void reportDifferences(Run run, Engine engine, Endpoint source, Endpoint fork) {
        run.report(
                "extensions-differ",
                JSON.writeValueAsString(differences(engine.extensions(source), engine.extensions(fork))));
        run.report(
                "settings-differ",
                JSON.writeValueAsString(differences(engine.settingDefaults(source), engine.settingDefaults(fork))));
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
