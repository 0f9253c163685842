package io.forkrunner.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.Forkrunner;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.repository.JobRepository;

/**
 * A run is dead only when it is still recorded running once its lock is taken. The sweep reads the running runs
 * first and takes each one's lock after: a run that ended in between (its lock let go, its lease removed) is over,
 * not dead, and taking it over would restart a run that had ended on its own.
 */
class RunLivenessTest {

    @Test
    void aRunThatEndedAfterItWasFoundRunningIsNotDead() {
        try (TestHome home = TestHome.create("run-liveness")) {
            home.serviceWithoutBackup("shop");
            home.write("jobs/copy.yml", "source: shop\ntarget:\n  name: copy-{run}\n");
            CliResult run = home.cli("run", "copy");
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(1); // shop has no backup: it ends FAILED

            try (Forkrunner forkrunner = Forkrunner.boot(home.home(), false)) {
                JobRepository repository = forkrunner.bean(JobRepository.class);
                JobExecution ended = repository.getLastJobExecution(
                        repository.getJobInstances("copy", 0, 1).get(0));
                assertThat(ended.getStatus()).isEqualTo(BatchStatus.FAILED);
                JobExecution asTheSweepReadIt = repository.getJobExecution(ended.getId());
                asTheSweepReadIt.setStatus(BatchStatus.STARTED);

                assertThat(forkrunner.bean(RunLiveness.class).dead("copy", asTheSweepReadIt))
                        .as("a run found running, whose end was recorded before its lock was taken")
                        .isFalse();
            }
        }
    }
}
