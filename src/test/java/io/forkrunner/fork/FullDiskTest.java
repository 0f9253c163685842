package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.Ports;
import io.forkrunner.testing.TestHome;
import io.forkrunner.testing.TestSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fork into a region whose root has no room for the backup: a small tmpfs mounted as the region's root (the tests
 * run as root). The run fails at restore data saying "no space left on device" and where, in {@code status}, its
 * {@code --json} and the API.
 */
class FullDiskTest {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static TestHome home;
    static Path root;
    static String api;

    @BeforeAll
    static void aRegionWithoutRoom() throws Exception {
        home = TestHome.create("full-disk");
        TestSource source = TestSource.start(home, "shop", "Shop-pw-90ae");
        source.sql("create database shop");
        root = home.tmpfs("var/regions/tiny", 8);
        home.write("config/services.yml", """
                regions:
                  tiny: { provisioner: local, root: var/regions/tiny, ports: %s }
                services:
                %s""".formatted(
                        Ports.range(10).yaml(), source.serviceYaml("tiny", "{ keep: 2, wal: none }")));
        home.job("full", """
                source: shop
                database: shop
                target:
                  name: full-{run}
                  region: tiny
                """);
        api = home.serve();
        home.backUp("shop");
    }

    @AfterAll
    static void close() {
        try {
            TestHome.unmount(root);
        } finally {
            home.close();
        }
    }

    @Test
    void aFullDiskFailsTheStepSayingNoSpaceLeftOnDeviceAndWhere() throws Exception {
        CliResult failed = home.cli("run", "full", "--json");
        assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(1);
        JsonNode run = JSON.readTree(failed.out());
        String where = root.resolve(run.path("fork").asText()).toString();
        JsonNode restore = TestHome.step(run, "restore-data");
        assertThat(restore.path("state").asText()).isEqualTo("FAILED");
        assertThat(restore.path("error").asText()).contains("no space left on device", where);
        assertThat(run.path("error").asText()).contains("no space left on device", where);

        String id = run.path("run").asText();
        assertThat(home.cli("status", id).out()).contains("no space left on device", where);
        assertThat(TestHome.step(JSON.readTree(home.cli("status", id, "--json").out()), "restore-data")
                        .path("error")
                        .asText())
                .contains("no space left on device", where);
        HttpResponse<String> viaApi = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(api + "/api/runs/" + id))
                                .header("Authorization", "Bearer " + TestHome.VIEWER_TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(viaApi.statusCode()).isEqualTo(200);
        assertThat(TestHome.step(JSON.readTree(viaApi.body()), "restore-data")
                        .path("error")
                        .asText())
                .contains("no space left on device", where);
    }
}
