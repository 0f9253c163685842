package io.forkrunner.definition;

import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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

    /**
     * Takes out the problems found in job files ({@code jobs/NAME.yml}), by job name; problems elsewhere stay.
     */
    Map<String, List<Problem>> takeJobProblems() {
        Map<String, List<Problem>> byJob = new TreeMap<>();
        found.removeIf(problem -> {
            String file = problem.file();
            if (!file.startsWith("jobs/") || !file.endsWith(".yml") || file.indexOf('/', "jobs/".length()) >= 0) {
                return false;
            }
            String job = file.substring("jobs/".length(), file.length() - ".yml".length());
            byJob.computeIfAbsent(job, name -> new ArrayList<>()).add(problem);
            return true;
        });
        return byJob;
    }

    void throwIfAny() {
        if (!found.isEmpty()) {
            throw new BadInputException(found);
        }
    }
}
