package io.forkrunner.engine.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.system.ForkrunnerException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The nodes of a fork's cluster, as laid out from the nodes its backup recorded. */
class CassandraTokensTest {

    private static final String TWO_NODES_OF_FOUR_TOKENS = """
            [ { "datacenter": "dc1", "rack": "r1", "tokens": ["-9000", "-3000", "2000", "7000"] },
              { "datacenter": "dc1", "rack": "r2", "tokens": ["-6000", "-1000", "4000", "8000"] } ]
            """;

    @Test
    void asManyNodesAsTheSourceKeepTheirOwnTokensDataCentersAndRacks() {
        JsonNode recorded = CassandraBackups.JSON.readTree(TWO_NODES_OF_FOUR_TOKENS);

        assertThat(CassandraCluster.nodesFor(recorded, null)).isEqualTo(recorded);
        assertThat(CassandraCluster.nodesFor(recorded, 2)).isEqualTo(recorded);
        assertThatThrownBy(() -> CassandraCluster.nodesFor(recorded, 1))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("a fork of 1 nodes from a backup of 2");
    }

    @Test
    void moreNodesEachTakeAsManyVirtualNodesAsTheSourcesSpreadEvenlyAndDealtOutInTurn() {
        JsonNode nodes = CassandraCluster.nodesFor(CassandraBackups.JSON.readTree(TWO_NODES_OF_FOUR_TOKENS), 3);

        assertThat(nodes).hasSize(3);
        List<BigInteger> all = new ArrayList<>();
        for (JsonNode node : nodes) {
            assertThat(node.path("tokens")).as(node.toString()).hasSize(4);
            node.path("tokens").forEach(token -> all.add(new BigInteger(token.asString())));
        }
        assertThat(new TreeSet<>(all)).as("no token twice").hasSize(12);
        // twelve tokens, each a twelfth of the ring after the one before, dealt out node 1, 2, 3, 1, 2, 3, ...
        BigInteger twelfth = BigInteger.TWO.pow(64).divide(BigInteger.valueOf(12));
        for (int i = 0; i < 12; i++) {
            String token = nodes.path(i % 3).path("tokens").path(i / 3).asString();
            assertThat(new BigInteger(token))
                    .isEqualTo(BigInteger.valueOf(Long.MIN_VALUE).add(twelfth.multiply(BigInteger.valueOf(i))));
        }
        assertThat(nodes.findValuesAsString("rack")).containsExactly("r1", "r2", "r1");
    }
}
