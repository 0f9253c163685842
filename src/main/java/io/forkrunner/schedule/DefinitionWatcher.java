package io.forkrunner.schedule;

import io.forkrunner.backup.WalArchivers;
import io.forkrunner.definition.DefinitionReader;
import io.forkrunner.definition.Definitions;
import io.forkrunner.definition.LiveDefinitions;
import io.forkrunner.system.BadInputException;
import io.forkrunner.system.Home;
import io.forkrunner.system.Problem;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Under {@code serve}: watches {@code config/} and {@code jobs/}. An edit that validates replaces the definitions and
 * updates the schedules and WAL archivers; an edit that does not is refused, each problem logged with file, field and
 * value, and the old definitions keep running. A job file with problems refuses that job only: the job stays as it was
 * (or cannot run, when it was not valid before), every other edit applies. An edit that cannot be applied (the
 * metadata store does not answer) is tried again until it is; the watch never ends on a failure.
 */
@Component
public class DefinitionWatcher {

    private static final Logger log = LoggerFactory.getLogger(DefinitionWatcher.class);
    private static final Duration POLL = Duration.ofSeconds(2);

    private final Home home;
    private final LiveDefinitions definitions;
    private final Schedules schedules;
    private final WalArchivers archivers;
    private Thread thread;
    private Map<Path, Long> seen;

    DefinitionWatcher(Home home, LiveDefinitions definitions, Schedules schedules, WalArchivers archivers) {
        this.home = home;
        this.definitions = definitions;
        this.schedules = schedules;
        this.archivers = archivers;
    }

    public synchronized void start() {
        seen = snapshot();
        thread = new Thread(this::watch, "definition-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    @PreDestroy
    public synchronized void stop() {
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            Map<Path, Long> now = snapshot();
            if (!now.equals(seen)) {
                try {
                    reload();
                    seen = now;
                } catch (RuntimeException e) {
                    log.warn("edit not applied yet, tried again in {} s: {}", POLL.toSeconds(), e.getMessage());
                }
            }
        }
    }

    /** Reads the definitions again: applies them when they validate, refuses them (logged) when they do not. */
    public void reload() {
        Definitions read;
        try {
            read = DefinitionReader.readForRuns(home).keepingRefusedJobsOf(definitions.current());
        } catch (BadInputException e) {
            for (Problem problem : e.problems()) {
                log.error("edit refused, the running schedules stay: {}", problem);
            }
            return;
        }
        read.refused()
                .forEach((job, problems) -> problems.forEach(problem -> log.error(
                        "edit refused for job {} only, {}: {}",
                        job,
                        read.jobs().containsKey(job) ? "it runs as before" : "it cannot run until its file is fixed",
                        problem)));
        definitions.replace(read);
        schedules.synchronize();
        archivers.reconcile();
        log.info(
                "definitions reloaded: {} services, {} jobs",
                read.services().size(),
                read.jobs().size());
    }

    /** The files that make up the definitions, with their modification times. */
    private Map<Path, Long> snapshot() {
        Map<Path, Long> files = new TreeMap<>();
        for (Path directory :
                new Path[] {home.config(), home.jobs(), home.jobs().resolve("sql")}) {
            if (!Files.isDirectory(directory)) {
                continue;
            }
            try (Stream<Path> listing = Files.list(directory)) {
                listing.filter(Files::isRegularFile)
                        .forEach(file -> files.put(
                                file,
                                file.toFile().lastModified() ^ file.toFile().length()));
            } catch (IOException e) {
                log.warn("cannot list {}: {}", directory, e.getMessage());
            }
        }
        return files;
    }
}
