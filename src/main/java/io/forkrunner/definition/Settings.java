package io.forkrunner.definition;

import io.forkrunner.system.SecretRef;
import java.util.List;

/** {@code config/forkrunner.yml}: forkrunner's own settings. */
public record Settings(Metadata metadata, Api api) {

    public static final String DEFAULT_METADATA_URL = "jdbc:postgresql://127.0.0.1:5432/forkrunner";

    /**
     * Where forkrunner keeps its records.
     *
     * @param configured false when the file says nothing, so that forkrunner may start its own instance
     */
    public record Metadata(String url, String user, SecretRef password, boolean configured) {}

    public record Api(int port, List<Token> tokens) {}

    public record Token(String name, Role role, SecretRef secret) {}

    public enum Role {
        VIEWER,
        OPERATOR
    }
}
