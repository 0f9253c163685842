package io.forkrunner.schedule;

import io.forkrunner.run.Operator;
import io.forkrunner.run.RunBusyException;
import io.forkrunner.run.RunLeases;
import io.forkrunner.system.ForkrunnerException;
import jakarta.annotation.PreDestroy;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Restarts of runs this node takes over (from a dead node, or stopped by the last shutdown), in the background. */
@Component
public class Takeovers {

    private static final Logger log = LoggerFactory.getLogger(Takeovers.class);

    private final Operator operator;
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "takeover");
        thread.setDaemon(true);
        return thread;
    });

    private final RunLeases leases;

    Takeovers(Operator operator, RunLeases leases) {
        this.operator = operator;
        this.leases = leases;
    }

    /** Restarts the run unless this node is restarting it already. */
    public void restart(long run, String why) {
        if (!inFlight.add(run)) {
            return;
        }
        executor.submit(() -> {
            try {
                log.info("taking over run {} ({}): restarting it from its checkpoint", run, why);
                operator.restart(run);
                leases.resumed(run);
            } catch (RunBusyException e) {
                log.info("cannot take over run {} yet: {}", run, e.getMessage());
            } catch (ForkrunnerException e) {
                log.warn("run {} is not taken over: {}", run, e.getMessage());
                leases.resumed(run);
            } finally {
                inFlight.remove(run);
            }
        });
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
