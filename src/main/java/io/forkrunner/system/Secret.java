package io.forkrunner.system;

import java.util.Objects;

/** A resolved secret. It never prints itself: {@link #toString()} is masked, {@link #reveal()} is explicit. */
public final class Secret {

    private final String value;

    public Secret(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "******";
    }
}
