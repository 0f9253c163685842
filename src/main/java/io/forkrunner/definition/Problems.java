package io.forkrunner.definition;

import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Problem;
import java.util.ArrayList;
import java.util.List;

/** Collects every problem found while reading definitions, so that all are reported at once. */
final class Problems {

    private final List<Problem> found = new ArrayList<>();

    void add(Problem problem) {
        found.add(problem);
    }

    void add(Value value, String message, List<String> examples) {
        add(new Problem(value.file(), value.line(), value.field(), value.text(), message, examples));
    }

    boolean isEmpty() {
        return found.isEmpty();
    }

    int size() {
        return found.size();
    }

    void throwIfAny() {
        if (!found.isEmpty()) {
            throw new BadInputException(found);
        }
    }
}
