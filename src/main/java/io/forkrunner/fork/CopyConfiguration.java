package io.forkrunner.fork;

import io.forkrunner.engine.ServerSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Step 4: the source's non-default settings, less host-specific ones, as recorded with the backup (never read from the
 * source), applied on the fork; recorded for a restart.
 */
@Component
class CopyConfiguration extends ForkStep {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    CopyConfiguration(ForkServices services) {
        super("copy-configuration", services);
    }

    @Override
    void execute(Run run) {
        ForkPlan plan = run.plan();
        if (plan.intoServer()) {
            run.report("settings", "none: the fork is a database in " + plan.server() + ", whose settings are its own");
            return;
        }
        Optional<ServerSettings> serverSettings = services.engine(plan).settings();
        if (serverSettings.isEmpty()) {
            run.report("settings", services.engine(plan).notApplicable());
            return;
        }
        String recorded = run.reported("settings");
        if (recorded == null) {
            Optional<Map<String, String>> withBackup = services.backups().settings(plan.source(), plan.backupId());
            if (withBackup.isEmpty()) {
                run.report(
                        "settings-not-recorded",
                        "backup " + plan.backupId() + " was taken before forkrunner recorded settings with backups:"
                                + " the fork has only those its data directory carries");
            }
            recorded = JSON.writeValueAsString(new TreeMap<>(withBackup.orElse(Map.of())));
            run.report("settings", recorded);
        }
        Map<String, String> settings = JSON.readValue(recorded, new TypeReference<TreeMap<String, String>>() {});
        Map<String, String> held = new TreeMap<>(serverSettings.get().heldOnForks());
        if (run.job().events()) {
            Map<String, String> events = serverSettings.get().scheduledEvents();
            settings.putAll(events);
            held.keySet().removeAll(events.keySet());
            events.forEach((name, value) -> run.report("events-" + name, value + ": the job says events: on"));
        }
        List<String> unknown = serverSettings.get().apply(services.place(plan), services.forkEndpoint(plan), settings);
        held.forEach((name, why) -> run.report("held-" + name, why));
        if (!unknown.isEmpty()) {
            run.report("settings-unknown-to-version-" + plan.version(), String.join(", ", unknown));
        }
    }
}
