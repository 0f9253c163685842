package io.forkrunner.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessRunnerTest {

    private static final Set<String> BASE_VARIABLES = Set.of("PATH", "LANG", "TZ");

    private final ProcessRunner runner = new ProcessRunner(ServiceUser.detect());

    @TempDir
    Path temp;

    @Test
    void aChildGetsACleanEnvironmentWithUtcAndTheCommandsOwnAdditions() {
        Set<String> jvmOnly = new HashSet<>(System.getenv().keySet());
        jvmOnly.removeAll(BASE_VARIABLES);
        assumeThat(jvmOnly).as("variables of the JVM that a child must not see").isNotEmpty();

        Map<String, String> seen =
                environment(runner.run(Command.of("env").withEnvironment("FORKRUNNER_PROBE", "a value: with spaces")));

        assertThat(seen).containsEntry("TZ", "UTC").containsEntry("FORKRUNNER_PROBE", "a value: with spaces");
        assertThat(seen).doesNotContainKeys(jvmOnly.toArray(String[]::new));
        assertThat(seen.keySet()).containsExactlyInAnyOrder("PATH", "LANG", "TZ", "FORKRUNNER_PROBE");
    }

    @Test
    void aChildDoesNotInheritThePathOfTheJvm() {
        String jvmPath = System.getenv("PATH");
        assumeThat(jvmPath).isNotNull().isNotEqualTo("/usr/local/bin:/usr/bin:/bin");

        Map<String, String> seen = environment(runner.run(Command.of("env")));

        assertThat(seen.get("PATH")).isNotEqualTo(jvmPath);
    }

    @Test
    void aPipeFeedsTheFirstCommandsOutputToTheSecondWithoutAShell() {
        String counted = runner.pipe(Command.of("printf", "a\\nb; echo c\\n"), Command.of("wc", "-l"));

        assertThat(counted.strip()).isEqualTo("2");
    }

    @Test
    void aPipeWhoseFirstCommandFailsFailsNamingIt() throws Exception {
        Path log = temp.resolve("pipe.log");

        assertThatThrownBy(() -> runner.pipe(
                        Command.of("bash", "-c", "echo made-it-to-stdout; echo broken >&2; exit 3")
                                .loggingTo(log),
                        Command.of("cat")))
                .isInstanceOf(ProcessFailedException.class)
                .hasMessageContaining("bash exited with code 3")
                .hasMessageContaining("broken");
        assertThat(Files.readString(log)).contains("broken").doesNotContain("made-it-to-stdout");
    }

    @Test
    void aCommandThatOutlivesItsTimeoutIsEndedAndTheFailureSaysSo() {
        ChildProcess child = runner.start(Command.of("sleep", "300").withTimeout(Duration.ofMillis(300)));

        ProcessFailedException failure = catchThrowableOfType(ProcessFailedException.class, child::await);

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("sleep", "did not finish within", "it was ended");
        assertThat(failure.processExitCode()).isEqualTo(-1);
        assertThat(child.isAlive()).isFalse();
    }

    @Test
    void cancellingTheWaitingThreadEndsTheChildAndEveryProcessItStarted() throws Exception {
        ChildProcess child = runner.start(Command.of("bash", "-c", "sleep 300 & sleep 300; wait"));
        ProcessHandle parent = ProcessHandle.of(child.pid()).orElseThrow();
        await().atMost(Duration.ofSeconds(30)).until(() -> parent.descendants().count() == 2);
        List<ProcessHandle> descendants = parent.descendants().toList();

        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            try {
                child.await();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        waiter.start();
        waiter.interrupt();
        waiter.join();

        assertThat(thrown.get()).isInstanceOf(ProcessFailedException.class).hasMessageContaining("cancelled");
        assertThat(child.isAlive()).isFalse();
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(descendants).noneMatch(ProcessHandle::isAlive));
    }

    @Test
    void aFailingCommandThatIsCapturedReportsItsExitCodeAndTheLastLinesOfItsErrorOutput() {
        String script = "echo first-line-of-many >&2; for i in $(seq 1 30); do echo filler-$i >&2; done;"
                + " echo the-last-line >&2; echo not-an-error; exit 3";

        ProcessFailedException failure =
                catchThrowableOfType(ProcessFailedException.class, () -> runner.run(Command.of("bash", "-c", script)));

        assertThat(failure).isNotNull();
        assertThat(failure.processExitCode()).isEqualTo(3);
        assertThat(failure.getMessage())
                .contains("bash exited with code 3", "filler-30", "the-last-line")
                .doesNotContain("first-line-of-many");
    }

    @Test
    void aFailingCommandReportsTheErrorLinesThatLongAdviceAfterThemPushedOutOfTheTail() {
        Path log = temp.resolve("logs/installer.log");
        String script = "echo 'Installing tables' >&2; echo '2026-12-01 [ERROR] InnoDB: the cause' >&2;"
                + " echo 'a line of progress' >&2; for i in $(seq 1 30); do echo advice-$i; done; exit 1";

        ProcessFailedException failure = catchThrowableOfType(
                ProcessFailedException.class,
                () -> runner.run(Command.of("bash", "-c", script).loggingTo(log)));

        assertThat(failure).isNotNull();
        assertThat(failure.getMessage())
                .contains("[ERROR] InnoDB: the cause", "advice-30")
                .doesNotContain("Installing tables", "a line of progress", "advice-1\n");
    }

    @Test
    void aFailingCommandThatLogsToAFileReportsTheLastLinesOfTheLogAndWhereItIs() {
        Path log = temp.resolve("logs/child.log");
        String script = "echo on-stdout; echo on-stderr >&2; exit 5";

        ProcessFailedException failure = catchThrowableOfType(
                ProcessFailedException.class,
                () -> runner.run(Command.of("bash", "-c", script).loggingTo(log)));

        assertThat(failure).isNotNull();
        assertThat(failure.processExitCode()).isEqualTo(5);
        assertThat(failure.getMessage()).contains("exited with code 5", "on-stdout", "on-stderr", log.toString());
        assertThat(log).content().contains("on-stdout", "on-stderr");
    }

    @Test
    void aProgramThatCannotStartFailsNamingIt() {
        assertThatThrownBy(() -> runner.run(Command.of("/nonexistent/forkrunner-no-such-program")))
                .isInstanceOf(ProcessFailedException.class)
                .hasMessageContaining("cannot start forkrunner-no-such-program");
    }

    @Test
    void aCommandForTheServiceUserRunsAsPostgresWhenForkrunnerRunsAsRoot() {
        assumeThat(System.getProperty("user.name")).isEqualTo("root");

        assertThat(runner.run(Command.of("id", "-un").asServiceUser()).strip()).isEqualTo("postgres");
        assertThat(runner.run(Command.of("id", "-un")).strip()).isEqualTo("root");
    }

    @Test
    void aPassfileIsPrivateToTheServiceUserInLibpqFormatAndGoneWhenClosed() throws Exception {
        ServiceUser user = runner.serviceUser();
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path path;
        try (Passfile passfile =
                Passfile.write(temp.resolve("run"), user, "127.0.0.1", 5432, "odd:login", new Secret("pa\\ss:wo:rd"))) {
            path = passfile.path();

            assertThat(Files.getPosixFilePermissions(path)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getOwner(path).getName()).isEqualTo(user.name());
            assertThat(path).content().isEqualTo("127.0.0.1:5432:*:odd\\:login:pa\\\\ss\\:wo\\:rd\n");
            assertThat(runner.run(Command.of("cat", path.toString()).asServiceUser()))
                    .as("the service user can read it")
                    .isEqualTo("127.0.0.1:5432:*:odd\\:login:pa\\\\ss\\:wo\\:rd\n");
            assertThat(Command.of("psql").withPassfile(passfile).environment())
                    .containsEntry("PGPASSFILE", path.toString());
        }
        assertThat(path).doesNotExist();
    }

    private static Map<String, String> environment(String envOutput) {
        return envOutput
                .lines()
                .filter(line -> line.contains("="))
                .collect(Collectors.toMap(
                        line -> line.substring(0, line.indexOf('=')), line -> line.substring(line.indexOf('=') + 1)));
    }
}
