package io.forkrunner.engine.opensearch;

import java.nio.file.Path;
import java.util.List;

/**
 * The servers forkrunner forks search services with: OpenSearch, and the Elasticsearch 7.10 it was forked from, one
 * snapshot format and one HTTP API for what forkrunner asks. Each family has its own home (assembled from Maven
 * Central), configuration file, system properties and bootstrap class.
 */
public enum SearchFamily {
    OPENSEARCH(
            "opensearch",
            "OpenSearch",
            "opensearch",
            "org.opensearch.bootstrap.OpenSearch",
            "FORKRUNNER_OPENSEARCH_HOME",
            "target/opensearch-2.19.6",
            "cluster.initial_cluster_manager_nodes",
            // log4j's own class-loader lookup is not allowed under the server's policy
            List.of("-Dlog4j2.contextSelector=org.apache.logging.log4j.core.selector.BasicContextSelector")),
    ELASTICSEARCH(
            "elasticsearch",
            "Elasticsearch",
            "es",
            "org.elasticsearch.bootstrap.Elasticsearch",
            "FORKRUNNER_ELASTICSEARCH_HOME",
            "target/elasticsearch-7.10.2",
            "cluster.initial_master_nodes",
            // the Apache-licensed build, run from a home without a bundled JDK
            List.of("-Des.distribution.flavor=oss", "-Des.distribution.type=tar", "-Des.bundled_jdk=false"));

    private final String engine;
    private final String title;
    private final String prefix;
    private final String bootstrap;
    private final String homeVariable;
    private final String defaultHome;
    private final String initialManagersSetting;
    private final List<String> properties;

    SearchFamily(
            String engine,
            String title,
            String prefix,
            String bootstrap,
            String homeVariable,
            String defaultHome,
            String initialManagersSetting,
            List<String> properties) {
        this.engine = engine;
        this.title = title;
        this.prefix = prefix;
        this.bootstrap = bootstrap;
        this.homeVariable = homeVariable;
        this.defaultHome = defaultHome;
        this.initialManagersSetting = initialManagersSetting;
        this.properties = properties;
    }

    /** The name of the engine in services.yml. */
    public String engine() {
        return engine;
    }

    public String title() {
        return title;
    }

    /** The home forkrunner's nodes of this family run from: the one its variable names, else the assembled one. */
    public Path home() {
        String named = System.getenv(homeVariable);
        return Path.of(named == null || named.isBlank() ? defaultHome : named)
                .toAbsolutePath()
                .normalize();
    }

    /** How the home is made, for messages. */
    String assembly() {
        return "mvn -f src/" + engine + "/pom.xml package, or name one with " + homeVariable;
    }

    /** The node's configuration file, in its configuration directory. */
    String configFile() {
        return engine + ".yml";
    }

    /** The system property that tells the server one of its paths ({@code home}, {@code conf}). */
    String pathProperty(String path) {
        return "-D" + prefix + ".path." + path + "=";
    }

    String bootstrap() {
        return bootstrap;
    }

    /** The setting naming the nodes that may form a new cluster (OpenSearch's word for them is cluster managers). */
    String initialManagersSetting() {
        return initialManagersSetting;
    }

    /** System properties the server needs besides its paths. */
    List<String> properties() {
        return properties;
    }

    /** The server's own jar in the home's {@code lib/}, e.g. {@code opensearch-2.19.6.jar}. */
    String serverJarPattern() {
        return engine + "-\\d+\\.\\d+\\.\\d+\\.jar";
    }
}
