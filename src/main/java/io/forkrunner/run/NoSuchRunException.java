package io.forkrunner.run;

import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Problem;
import java.util.List;

/** A run id that names no run. */
public class NoSuchRunException extends BadInputException {

    public NoSuchRunException(long runId) {
        super(new Problem(
                "command line",
                0,
                "RUN",
                String.valueOf(runId),
                "is not a run; forkrunner status lists them",
                List.of()));
    }
}
