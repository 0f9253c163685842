package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.ServerProcess;
import io.forkrunner.testing.TestHome;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class MariaDbServerTest {

    /**
     * The installer's bootstrap server and the started server keep temporary tables in the instance's own directory:
     * in the machine's {@code /tmp} another process removed one under CI, and the install failed.
     */
    @Test
    void theInstallerAndTheServerKeepTemporaryTablesInTheInstancesOwnDirectory() throws Exception {
        String password = "pw-tmp";
        Set<String> bootstraps = ConcurrentHashMap.newKeySet();
        Thread watch = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                ProcessHandle.allProcesses().forEach(process -> {
                    List<String> argv = ServerProcess.commandLine(process.pid());
                    if (argv.contains("--bootstrap")
                            && argv.stream().anyMatch(a -> a.matches("--datadir=.*/mariadb-tmp-.*"))) {
                        bootstraps.add(String.join(" ", argv));
                    }
                });
                try {
                    Thread.sleep(2); // a poll of /proc, not a wait for a condition: the bootstrap runs for seconds
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        watch.setDaemon(true);
        watch.start();
        try (TestHome home = TestHome.create("mariadb-tmp");
                MariaDbTestSource source = MariaDbTestSource.start(home, "tmp-source", password, Map.of())) {
            watch.interrupt();
            String own = source.server.temporaryDirectory().toString();
            assertThat(bootstraps)
                    .isNotEmpty()
                    .allSatisfy(argv -> assertThat(argv).contains("--tmpdir=" + own));
            assertThat(source.column(null, "SELECT @@tmpdir")).containsExactly(own);
        } finally {
            watch.interrupt();
        }
    }
}
