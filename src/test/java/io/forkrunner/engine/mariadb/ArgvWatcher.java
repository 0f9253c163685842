package io.forkrunner.engine.mariadb;

import io.forkrunner.system.ServerProcess;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Reads the argv of every process in /proc, again and again, and keeps those that hold {@code secret}. */
final class ArgvWatcher {

    private final String secret;
    private final Set<String> withTheSecret = ConcurrentHashMap.newKeySet();
    private final Set<Long> clients = ConcurrentHashMap.newKeySet();
    private volatile boolean watching;
    private Thread thread;

    ArgvWatcher(String secret) {
        this.secret = secret;
    }

    void start() {
        watching = true;
        thread = new Thread(() -> {
            while (watching) {
                ProcessHandle.allProcesses().forEach(process -> {
                    List<String> argv = ServerProcess.commandLine(process.pid());
                    if (argv.stream().anyMatch(argument -> argument.matches("--defaults-file=.*/client-.*\\.cnf"))) {
                        clients.add(process.pid());
                    }
                    if (argv.stream().anyMatch(argument -> argument.contains(secret))) {
                        withTheSecret.add(String.join(" ", argv).replace(secret, "<password>"));
                    }
                });
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        thread.setDaemon(true);
        thread.start();
    }

    void stop() {
        watching = false;
    }

    /** How many clients given a login's option file were seen: proof that the watch was close enough. */
    int clientsSeen() {
        return clients.size();
    }

    Set<String> withTheSecret() {
        return withTheSecret;
    }
}
