package io.forkrunner.system;

import java.util.List;
import java.util.stream.Collectors;

/** Input that cannot be acted on: every problem found, each naming file, field and value. Nothing was changed. */
public class BadInputException extends ForkrunnerException {

    private final List<Problem> problems;

    public BadInputException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public BadInputException(Problem problem) {
        this(List.of(problem));
    }

    public List<Problem> problems() {
        return problems;
    }

    @Override
    public int exitCode() {
        return 2;
    }
}
