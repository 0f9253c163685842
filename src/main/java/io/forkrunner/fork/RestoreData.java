package io.forkrunner.fork;

import io.forkrunner.engine.Engine;
import io.forkrunner.engine.Place;
import io.forkrunner.engine.Restored;
import org.springframework.stereotype.Component;

/**
 * Step 3: lays the base backup down (resumable file by file), replays the archive to the target, promotes. Long work:
 * bytes laid down and WAL replayed show as progress.
 */
@Component
class RestoreData extends ForkStep {

    RestoreData(ForkServices services) {
        super("restore-data", services);
    }

    @Override
    void execute(Run run) {
        ForkPlan plan = run.plan();
        Engine engine = services.engine(plan);
        Place place = services.place(plan);
        if (!run.reached("laid-down")) {
            long rate = services.definitions().settings().runs().copyBytesPerSecond();
            long[] total = {0};
            engine.layDown(plan.backupDirectory(), place, rate, (what, done, all) -> {
                total[0] = all;
                run.progress().report(what, done, all);
            });
            run.report("bytes-laid-down", String.valueOf(total[0]));
            run.checkpoint("laid-down");
        }
        if (!run.reached("recovered")) {
            Restored restored = engine.recover(
                    place,
                    plan.fromArchive() ? services.backups().archiveDirectory(plan.source()) : null,
                    plan.backupStart(),
                    plan.target(),
                    services.forkEndpoint(plan),
                    run.progress());
            run.report("timeline", String.valueOf(restored.timeline()));
            run.report("stopped-at-target", String.valueOf(restored.stoppedAtTarget()));
            run.report("subscriptions-disabled", String.valueOf(restored.subscriptionsDisabled()));
            run.checkpoint("recovered");
        }
        services.provisioner().start(plan.fork());
    }
}
