package io.forkrunner.fork;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Why the runs executing in this process are being stopped, so that the stopped step says so: a stop asked by an
 * operator, a shutdown, a lock lost. Recorded by whoever interrupts a run's thread, read by its step.
 */
@Component
public class StopReasons {

    private final Map<Long, String> reasons = new ConcurrentHashMap<>();

    /** Records why the job execution is stopped; true for the first reason, the one that stays (interrupt then). */
    public boolean stopping(long executionId, String why) {
        return reasons.putIfAbsent(executionId, why) == null;
    }

    Optional<String> of(long executionId) {
        return Optional.ofNullable(reasons.get(executionId));
    }

    /** The execution ended: its reason is no longer needed. */
    public void forget(long executionId) {
        reasons.remove(executionId);
    }
}
