package io.forkrunner.definition;

import java.util.Objects;

/**
 * The definitions a running forkrunner acts on. {@code serve} replaces them when an edit of {@code jobs/} or
 * {@code config/} validates; everything else reads {@link #current()} when it needs them, never keeps them.
 */
public final class LiveDefinitions {

    private volatile Definitions current;

    public LiveDefinitions(Definitions initial) {
        this.current = Objects.requireNonNull(initial, "initial");
    }

    public Definitions current() {
        return current;
    }

    public void replace(Definitions definitions) {
        this.current = Objects.requireNonNull(definitions, "definitions");
    }
}
