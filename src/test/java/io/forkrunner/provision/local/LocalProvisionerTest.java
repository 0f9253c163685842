package io.forkrunner.provision.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.forkrunner.Forkrunner;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.definition.Region;
import io.forkrunner.engine.postgresql.PostgresBinaries;
import io.forkrunner.provision.Instance;
import io.forkrunner.provision.InstanceSpec;
import io.forkrunner.provision.NoFreePortException;
import io.forkrunner.provision.Provisioner;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LocalProvisionerTest {

    private static final int VERSION = PostgresBinaries.newest().version();

    private TestHome testHome;
    private Forkrunner forkrunner;
    private Ports.Range eu;

    @BeforeEach
    void bootWithTwoRegions() {
        testHome = TestHome.create("local-provisioner");
        eu = Ports.range(20);
        testHome.write(
                "config/services.yml",
                "regions:\n"
                        + "  eu-local: { provisioner: local, root: var/regions/eu, ports: " + eu.yaml() + " }\n"
                        + "  tiny: { provisioner: local, root: var/regions/tiny, ports: "
                        + Ports.range(1).yaml() + " }\n"
                        + "services: {}\n");
        forkrunner = Forkrunner.boot(testHome.home(), false);
    }

    @AfterEach
    void closeAll() {
        if (forkrunner != null) {
            forkrunner.close();
        }
        testHome.close();
    }

    @Test
    void twoInstancesCreatedAtOnceFromTwoThreadsGetTheirOwnPortAndDirectoryAndDropRemovesEveryTrace() throws Exception {
        Provisioner provisioner = forkrunner.bean(Provisioner.class);
        CyclicBarrier together = new CyclicBarrier(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        List<Instance> created;
        try {
            Future<Instance> one = threads.submit(() -> {
                together.await();
                return provisioner.create(spec("one", "eu-local"));
            });
            Future<Instance> two = threads.submit(() -> {
                together.await();
                return provisioner.create(spec("two", "eu-local"));
            });
            created = List.of(one.get(5, TimeUnit.MINUTES), two.get(5, TimeUnit.MINUTES));
        } finally {
            threads.shutdownNow();
        }

        Path regionRoot = testHome.path("var/regions/eu");
        assertThat(created)
                .extracting(Instance::port)
                .doesNotHaveDuplicates()
                .allMatch(port -> port >= eu.first() && port <= eu.last());
        assertThat(created)
                .extracting(Instance::directory)
                .doesNotHaveDuplicates()
                .allMatch(directory -> directory.startsWith(regionRoot));
        for (Instance instance : created) {
            assertThat(instance.state()).isEqualTo(Instance.State.RUNNING);
            assertThat(sql(instance, "show port")).isEqualTo(String.valueOf(instance.port()));
            assertThat(Path.of(sql(instance, "show data_directory")))
                    .isEqualTo(instance.directory().resolve("data"));
        }
        assertThat(metadataCount("select count(*) from port_reservations where port in (?, ?)", portsOf(created)))
                .isEqualTo(2);

        for (Instance instance : created) {
            provisioner.drop(instance.name());

            assertNoTraceOf(instance);
        }
        assertThat(provisioner.list()).isEmpty();
    }

    @Test
    void reservationsRacingFromManyThreadsNeverShareAPortOrADirectory() throws Exception {
        Provisioner provisioner = forkrunner.bean(Provisioner.class);
        int racers = 8;
        CyclicBarrier together = new CyclicBarrier(racers);
        ExecutorService threads = Executors.newFixedThreadPool(racers);
        List<Instance> reserved = new ArrayList<>();
        try {
            List<Future<Instance>> results = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                String name = "racer-" + i;
                results.add(threads.submit(() -> {
                    together.await();
                    return provisioner.reserve(spec(name, "eu-local"));
                }));
            }
            for (Future<Instance> result : results) {
                reserved.add(result.get(1, TimeUnit.MINUTES));
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(reserved).extracting(Instance::port).doesNotHaveDuplicates();
        assertThat(reserved).extracting(Instance::directory).doesNotHaveDuplicates();
        assertThat(metadataCount("select count(distinct port) from port_reservations"))
                .isEqualTo(racers);
        for (Instance instance : reserved) {
            provisioner.drop(instance.name());
        }
        assertThat(metadataCount("select count(*) from port_reservations")).isZero();
    }

    @Test
    void anInstanceOutlivesARestartOfForkrunnerAndIsFoundAgain() throws Exception {
        Instance created = forkrunner.bean(Provisioner.class).create(spec("kept", "eu-local"));

        forkrunner.close();
        forkrunner = Forkrunner.boot(testHome.home(), false);
        Provisioner provisioner = forkrunner.bean(Provisioner.class);

        Instance found = provisioner.find("kept").orElseThrow();
        assertThat(found.port()).isEqualTo(created.port());
        assertThat(found.directory()).isEqualTo(created.directory());
        assertThat(found.state()).isEqualTo(Instance.State.RUNNING);
        assertThat(provisioner.isRunning("kept")).isTrue();
        assertThat(sql(found, "select 1")).isEqualTo("1");
    }

    @Test
    void aRegionWithNoFreePortRefusesTheInstanceWithAdviceAndLeavesNothingOfIt() throws Exception {
        Provisioner provisioner = forkrunner.bean(Provisioner.class);
        Instance first = provisioner.create(spec("first", "tiny"));

        NoFreePortException refused =
                catchThrowableOfType(NoFreePortException.class, () -> provisioner.create(spec("second", "tiny")));

        assertThat(refused).isNotNull();
        assertThat(refused.getMessage())
                .contains("tiny", "no free port", "forkrunner drop", "widen its ports in config/services.yml");
        assertThat(provisioner.find("second")).isEmpty();
        assertThat(metadataCount("select count(*) from instances where name = ?", "second"))
                .isZero();
        assertThat(metadataCount("select count(*) from port_reservations where owner = ?", "second"))
                .isZero();
        assertThat(testHome.path("var/regions/tiny/second")).doesNotExist();
        assertThat(provisioner.isRunning(first.name())).isTrue();
    }

    @Test
    void aPortThatAnotherProgramListensOnIsNotGivenOut() throws Exception {
        Provisioner provisioner = forkrunner.bean(Provisioner.class);
        int port = forkrunner
                .bean(LiveDefinitions.class)
                .current()
                .region("tiny")
                .ports()
                .first();

        try (ServerSocket other = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> provisioner.reserve(spec("squatted", "tiny")))
                    .isInstanceOf(NoFreePortException.class);
        }
        assertThat(metadataCount("select count(*) from port_reservations")).isZero();
    }

    @Test
    void reservingANameThatExistsIsRefusedAndTheExistingInstanceKeepsItsPlace() throws Exception {
        Provisioner provisioner = forkrunner.bean(Provisioner.class);
        Instance reserved = provisioner.reserve(spec("taken", "eu-local"));
        assertThat(reserved.state()).isEqualTo(Instance.State.RESERVED);
        assertThat(reserved.directory()).isDirectory();

        assertThatThrownBy(() -> provisioner.reserve(spec("taken", "tiny")))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("taken")
                .hasMessageContaining("exists already");
        assertThatThrownBy(() -> provisioner.create(spec("taken", "eu-local")))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("exists already");

        assertThat(provisioner.find("taken")).contains(reserved);
        assertThat(reserved.directory()).isDirectory();
        assertThat(metadataCount("select count(*) from port_reservations where owner = ?", "taken"))
                .isEqualTo(1);
        assertThat(testHome.path("var/regions/tiny/taken")).doesNotExist();

        provisioner.drop("taken");

        assertNoTraceOf(reserved);
    }

    @Test
    void anInstanceRecordedOutsideItsRegionsRootIsRefusedByDropAndNothingThereIsDeleted() throws Exception {
        Provisioner provisioner = forkrunner.bean(Provisioner.class);
        Instance reserved = provisioner.reserve(spec("tampered", "eu-local"));
        testHome.write("sentinel/keep/file", "not forkrunner's");
        Path sentinel = testHome.path("sentinel");
        for (String recorded : List.of(
                sentinel.toString(),
                testHome.path("var/regions/eu/../../../sentinel").toString())) {
            try (Connection connection = testHome.metadataConnection();
                    PreparedStatement tamper =
                            connection.prepareStatement("update instances set directory = ? where name = ?")) {
                tamper.setString(1, recorded);
                tamper.setString(2, "tampered");
                assertThat(tamper.executeUpdate()).isEqualTo(1);
            }

            assertThatThrownBy(() -> provisioner.drop("tampered"))
                    .isInstanceOf(ForkrunnerException.class)
                    .hasMessageContaining(recorded)
                    .hasMessageContaining("does not lie under " + testHome.path("var/regions/eu"));
            CliResult drop = testHome.cli("drop", "tampered");
            assertThat(drop.exitCode()).as(drop.toString()).isNotZero();
            assertThat(drop.err()).as(drop.toString()).contains(recorded, "does not lie under");

            assertThat(testHome.read("sentinel/keep/file")).isEqualTo("not forkrunner's");
            assertThat(provisioner.find("tampered")).isPresent();
            assertThat(metadataCount("select count(*) from port_reservations where owner = ?", "tampered"))
                    .isEqualTo(1);
            assertThat(reserved.directory()).isDirectory();
        }
    }

    private InstanceSpec spec(String name, String region) {
        Region declared = forkrunner.bean(LiveDefinitions.class).current().region(region);
        return new InstanceSpec(name, "postgresql", declared, VERSION, null, Map.of("fsync", "off"));
    }

    private void assertNoTraceOf(Instance instance) throws Exception {
        assertThat(instance.directory()).doesNotExist();
        assertThat(metadataCount("select count(*) from instances where name = ?", instance.name()))
                .isZero();
        assertThat(metadataCount(
                        "select count(*) from port_reservations where owner = ? or port = ?",
                        instance.name(),
                        instance.port()))
                .isZero();
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), instance.port()).close())
                .as("nothing listens on port %d", instance.port())
                .isInstanceOf(ConnectException.class);
        assertThat(ProcessHandle.allProcesses())
                .as("no server process for %s", instance.directory())
                .noneMatch(process -> process.info()
                        .commandLine()
                        .filter(line -> line.contains(instance.directory().toString()))
                        .isPresent());
    }

    private static String sql(Instance instance, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(
                        "jdbc:postgresql://" + instance.host() + ":" + instance.port() + "/postgres",
                        "postgres",
                        null);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    private long metadataCount(String sql, Object... parameters) throws SQLException {
        try (Connection connection = testHome.metadataConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private static Object[] portsOf(List<Instance> instances) {
        return instances.stream().map(Instance::port).toArray();
    }
}
