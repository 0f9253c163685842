package io.forkrunner.engine.opensearch;

/**
 * Elasticsearch 7.10.2 keeps the engine contract as OpenSearch does: nodes of the home assembled from Maven Central
 * ({@code src/elasticsearch/pom.xml}), snapshots into forkrunner's repository, forks restored into new nodes.
 */
class ElasticsearchContractTest extends SearchContractTest {

    @Override
    SearchFamily family() {
        return SearchFamily.ELASTICSEARCH;
    }
}
