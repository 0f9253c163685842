package io.forkrunner.fork;

import io.forkrunner.engine.Endpoint;
import io.forkrunner.engine.Engine;
import io.forkrunner.engine.TableCount;
import io.forkrunner.system.ForkrunnerException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Step 7: the job's checks must return true on the fork, and every table must read; per-table row counts go into
 * the report. Unlogged tables come back empty from a physical restore: the report says so.
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
        String database = ForkDatabase.of(run.job(), services.source(plan));
        for (String check : run.job().checks()) {
            if (!engine.check(fork, database, check)) {
                throw new ForkrunnerException(
                        "check failed on fork " + plan.fork() + " (database " + database + "): " + check);
            }
        }
        List<TableCount> counts = engine.tableCounts(fork);
        Map<String, Long> rows = new LinkedHashMap<>();
        counts.forEach(count -> rows.put(count.qualifiedName(), count.rows()));
        run.report("checks", String.valueOf(run.job().checks().size()));
        run.report("rows", JSON.writeValueAsString(rows));
        List<String> unlogged = counts.stream()
                .filter(TableCount::unlogged)
                .map(TableCount::qualifiedName)
                .toList();
        if (!unlogged.isEmpty()) {
            run.report("unlogged-empty", String.join(", ", unlogged));
        }
    }
}
