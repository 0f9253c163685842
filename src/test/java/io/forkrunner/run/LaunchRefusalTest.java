package io.forkrunner.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A launch asking for a point in time that has not happened yet is bad input: exit 2, and no run is recorded. */
class LaunchRefusalTest {

    static TestHome home;

    @BeforeAll
    static void homeWithAJob() {
        home = TestHome.create("launch-refusal");
        home.declareServices(Ports.range(10), """
                  shop: { engine: postgresql, region: eu-local, host: 127.0.0.1, port: %d, user: postgres }
                """.formatted(Ports.one()));
        home.job("copy", """
                source: shop
                target:
                  name: copy-{run}
                """);
    }

    @AfterAll
    static void close() {
        home.close();
    }

    @Test
    void atATimeInTheFutureExitsTwoAndRecordsNoRun() throws Exception {
        String tomorrow = Instant.now().plus(1, ChronoUnit.DAYS).toString();

        CliResult result = home.cli("run", "copy", "--at", tomorrow);

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err())
                .contains("command line: --at: \"" + tomorrow + "\": is in the future")
                .contains("valid examples: latest");
        assertThat(runsRecorded()).isZero();
    }

    @Test
    void aDetachedRunAtATimeInTheFutureIsRefusedBeforeItStarts() throws Exception {
        String soon = Instant.now().plus(1, ChronoUnit.HOURS).toString();

        CliResult result = home.cli("run", "copy", "--detach", "--at", soon);

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err()).contains("is in the future");
        assertThat(runsRecorded()).isZero();
    }

    @Test
    void anAtThatIsNoTimeExitsTwo() throws Exception {
        CliResult result = home.cli("run", "copy", "--at", "yesterday");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err()).contains("--at: \"yesterday\": is not latest");
        assertThat(runsRecorded()).isZero();
    }

    private static int runsRecorded() throws Exception {
        try (Connection metadata = home.metadataConnection();
                Statement statement = metadata.createStatement();
                ResultSet row = statement.executeQuery("select count(*) from batch_job_instance")) {
            row.next();
            return row.getInt(1);
        }
    }
}
