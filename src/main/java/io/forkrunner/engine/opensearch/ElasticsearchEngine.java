package io.forkrunner.engine.opensearch;

import io.forkrunner.system.Home;
import java.time.Clock;
import org.springframework.stereotype.Component;

/**
 * Elasticsearch 7.10 (the last Apache-licensed release, which OpenSearch was forked from): the OpenSearch adapter with
 * Elasticsearch's nodes, from the home {@code src/elasticsearch/pom.xml} assembles ({@code FORKRUNNER_ELASTICSEARCH_HOME}
 * names another). Same snapshots, same HTTP API for what forkrunner asks.
 */
@Component
public class ElasticsearchEngine extends OpenSearchEngine {

    ElasticsearchEngine(Home home, Clock clock) {
        super(SearchFamily.ELASTICSEARCH, home, clock);
    }
}
