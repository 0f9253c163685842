package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.Problem;
import io.forkrunner.system.SecretRef;
import io.forkrunner.testing.CliResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cassandra services declare every node of their cluster; their forks never have fewer nodes than the source. A search
 * service's fork may name its nodes too (its backups know the source's count); other engines' may not.
 */
class CassandraDefinitionsTest {

    private static final String SERVICES = """
            regions:
              eu-local: { provisioner: local, root: var/regions/eu-local, ports: 16000-16099 }
            services:
              ring:
                engine: cassandra
                region: eu-local
                host: 127.0.0.1
                port: 9042
                user: cassandra
                nodes:
                  - { address: 127.0.0.1, jmx: 7199 }
                  - { address: 127.0.0.2, jmx: 7299 }
                  - { address: 127.0.0.3, jmx: 7399 }
            """;

    private final DefinitionHome home = DefinitionHome.create();

    @Test
    void aCassandraServiceHasEveryNodeOfItsClusterAndNoChangeArchive() {
        home.services(SERVICES);

        ServiceDefinition ring = home.read().services().get("ring");

        assertThat(ring.engine()).isEqualTo("cassandra");
        assertThat(ring.nodes())
                .containsExactly(
                        new ServiceDefinition.Node("127.0.0.1", 7199),
                        new ServiceDefinition.Node("127.0.0.2", 7299),
                        new ServiceDefinition.Node("127.0.0.3", 7399));
        assertThat(ring.backups().wal()).isEqualTo(ServiceDefinition.Wal.NONE);
    }

    @Test
    void aCassandraServiceWithoutNodesOrWithANodeTwiceIsRefused() {
        home.services(SERVICES.replaceAll("(?s)    nodes:.*", ""));
        Problem missing = home.problem();
        assertThat(missing)
                .extracting(Problem::file, Problem::field)
                .containsExactly("config/services.yml", "services.ring.nodes");
        assertThat(missing.message()).startsWith("is required for a Cassandra service: every node of its cluster");

        home.services(SERVICES.replace("127.0.0.3, jmx: 7399", "127.0.0.2, jmx: 7399"));
        Problem twice = home.problem();
        assertThat(twice)
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly(
                        "services.ring.nodes[2].address",
                        "127.0.0.2",
                        "is the address of another node of this service");
    }

    @Test
    void nodesAreForCassandraServicesOnly() {
        home.services(SERVICES.replace("engine: cassandra", "engine: postgresql"));

        Problem problem = home.problem();

        assertThat(problem.field()).isEqualTo("services.ring.nodes");
        assertThat(problem.message()).startsWith("is for Cassandra services (engine: cassandra)");
    }

    @Test
    void aClusterWhoseJmxAsksForALoginDeclaresItsUserAndAPasswordReferenceAndOnlyACassandraOne() {
        String withLogin = SERVICES.replace(
                "    nodes:\n",
                "    jmx: { user: forkrunner, password: \"${file:var/secrets/ring-jmx}\" }\n    nodes:\n");
        home.write("var/secrets/ring-jmx", "Jmx-pw-5e0a").services(withLogin);

        assertThat(home.read().services().get("ring").jmx())
                .isEqualTo(new ServiceDefinition.JmxLogin(
                        "forkrunner", new SecretRef(SecretRef.Kind.FILE, "var/secrets/ring-jmx")));

        home.services(withLogin.replace("${file:var/secrets/ring-jmx}", "Jmx-pw-in-clear"));
        Problem clear = home.problem();
        assertThat(clear)
                .extracting(Problem::field, Problem::value)
                .containsExactly("services.ring.jmx.password", "(hidden)");
        assertThat(clear.toString()).doesNotContain("Jmx-pw-in-clear");

        home.services(withLogin.replace(", password: \"${file:var/secrets/ring-jmx}\"", ""));
        assertThat(home.problem().field()).isEqualTo("services.ring.jmx.password");

        home.services(
                withLogin.replace("engine: cassandra", "engine: postgresql").replaceAll("(?s)    nodes:.*", ""));
        Problem notCassandra = home.problem();
        assertThat(notCassandra.field()).isEqualTo("services.ring.jmx");
        assertThat(notCassandra.message()).startsWith("is for Cassandra services (engine: cassandra)");
    }

    @Test
    void aForkToFewerNodesThanTheSourceIsRefusedByValidateNamingBothCountsAndWhy() {
        home.services(SERVICES).job("ring-dev", """
                source: ring
                target:
                  name: ring-dev
                  nodes: 1
                """);

        CliResult result = home.validate();

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err())
                .contains("jobs/ring-dev.yml:4: target.nodes: \"1\": is fewer nodes than the source ring has (3): a"
                        + " fork of 1 would lose the rows of the token ranges its missing nodes owned")
                .contains("nothing was changed");
    }

    @Test
    void aForkToAsManyOrMoreNodesIsValidAndChecksAndSqlAreRefusedForCassandra() {
        home.services(SERVICES)
                .write("jobs/cql/mask.cql", "UPDATE shop.users SET email = 'x' WHERE id = 1;\n")
                .job("ring-dev", """
                        source: ring
                        target:
                          name: ring-dev
                          nodes: 3
                        integrations:
                          - { type: cql, file: jobs/cql/mask.cql }
                        """);
        assertThat(home.read().jobs().get("ring-dev").target().nodes()).isEqualTo(3);
        home.job("ring-dev", """
                source: ring
                target:
                  name: ring-dev
                  nodes: 5
                """);
        assertThat(home.read().jobs().get("ring-dev").target().nodes())
                .as("more nodes than the source's: loaded through the bulk loader")
                .isEqualTo(5);

        home.job("ring-dev", """
                source: ring
                target:
                  name: ring-dev
                checks:
                  - select true
                integrations:
                  - { type: sql, file: jobs/cql/mask.cql }
                """);
        List<Problem> problems = home.problems();
        assertThat(problems).extracting(Problem::field).containsExactly("checks", "integrations[0].type");
        assertThat(problems.get(0).message()).startsWith("is not applicable to cassandra (service ring)");
        assertThat(problems.get(1).message())
                .isEqualTo("is not for a cassandra service: its CQL statements run with type: cql");
    }

    @Test
    void targetNodesAreForCassandraAndSearchForksOnlyAndAtLeastOne() {
        String services = SERVICES + """
                  search: { engine: opensearch, region: eu-local, host: 127.0.0.1, port: 9200 }
                  shop: { engine: postgresql, region: eu-local, host: 127.0.0.1, port: 5432, user: postgres }
                """;
        home.services(services).job("search-dev", """
                source: search
                target:
                  name: search-dev
                  nodes: 2
                """);
        assertThat(home.read().jobs().get("search-dev").target().nodes()).isEqualTo(2);

        home.job("search-dev", """
                source: search
                target:
                  name: search-dev
                  nodes: 0
                """);
        assertThat(home.problem())
                .extracting(Problem::field, Problem::value, Problem::message)
                .containsExactly("target.nodes", "0", "is no number of nodes: a cluster has at least one");

        home.job("search-dev", """
                source: shop
                target:
                  name: shop-dev
                  nodes: 2
                """);
        Problem postgres = home.problem();
        assertThat(postgres.field()).isEqualTo("target.nodes");
        assertThat(postgres.message())
                .isEqualTo("is for forks of Cassandra and search services, whose clusters have several nodes; shop is"
                        + " postgresql");
    }
}
