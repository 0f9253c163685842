package io.forkrunner.engine.mariadb;

import io.forkrunner.system.ChildProcess;
import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The MariaDB programs forkrunner runs: the server, its installer, the backup tool, the binlog reader, the client, the
 * admin client, the InnoDB page checker and the logical dump tool.
 */
public record MariaDbBinaries(
        Path server, Path installDb, Path backup, Path binlog, Path client, Path admin, Path innochecksum, Path dump) {

    /** Where Debian installs each program, and the package that brings it. */
    private static final Map<Path, String> DEBIAN = debianPrograms();

    private static final Pattern SERVER_VERSION = Pattern.compile("\\bVer ([0-9]+\\.[0-9]+\\.[0-9]+)");
    private static final Pattern BACKUP_VERSION = Pattern.compile("based on MariaDB server ([0-9]+\\.[0-9]+\\.[0-9]+)");

    public MariaDbBinaries {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(installDb, "installDb");
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(binlog, "binlog");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(innochecksum, "innochecksum");
        Objects.requireNonNull(dump, "dump");
    }

    private static Map<Path, String> debianPrograms() {
        Map<Path, String> programs = new LinkedHashMap<>();
        programs.put(Path.of("/usr/sbin/mariadbd"), "mariadb-server");
        programs.put(Path.of("/usr/bin/mariadb-install-db"), "mariadb-server");
        programs.put(Path.of("/usr/bin/mariadb-backup"), "mariadb-backup");
        programs.put(Path.of("/usr/bin/mariadb-binlog"), "mariadb-client");
        programs.put(Path.of("/usr/bin/mariadb"), "mariadb-client");
        programs.put(Path.of("/usr/bin/mariadb-admin"), "mariadb-client");
        programs.put(Path.of("/usr/bin/innochecksum"), "mariadb-server");
        programs.put(Path.of("/usr/bin/mariadb-dump"), "mariadb-client");
        return programs;
    }

    /** The programs where Debian installs them; refused, naming the packages to install, when any is missing. */
    public static MariaDbBinaries debian() {
        List<Path> missing = DEBIAN.keySet().stream()
                .filter(program -> !Files.isExecutable(program))
                .toList();
        if (!missing.isEmpty()) {
            List<String> packages =
                    new ArrayList<>(missing.stream().map(DEBIAN::get).distinct().toList());
            throw new ForkrunnerException("MariaDB's programs are missing here: " + missing + ". Install them: apt-get"
                    + " install " + String.join(" ", packages) + " (mariadb-backup must match the server's version)");
        }
        List<Path> programs = List.copyOf(DEBIAN.keySet());
        return new MariaDbBinaries(
                programs.get(0),
                programs.get(1),
                programs.get(2),
                programs.get(3),
                programs.get(4),
                programs.get(5),
                programs.get(6),
                programs.get(7));
    }

    /** The server's version, e.g. {@code 10.11.19}, from {@code mariadbd --version}. */
    public String version(ProcessRunner runner) {
        return versionOf(runner, server, SERVER_VERSION);
    }

    /** The server version the backup tool was built from; it reads only a server of the same version. */
    public String backupVersion(ProcessRunner runner) {
        return versionOf(runner, backup, BACKUP_VERSION);
    }

    /** The version {@code program --version} prints, on stdout or (mariadb-backup) on stderr. */
    private static String versionOf(ProcessRunner runner, Path program, Pattern pattern) {
        ChildProcess child =
                runner.start(Command.of(program.toString(), "--version").withTimeout(Duration.ofMinutes(1)));
        String output;
        try {
            int exit = child.awaitExit();
            output = child.stdout() + child.stderr();
            if (exit != 0) {
                throw new ForkrunnerException(program + " --version exited with code " + exit + ": " + output.strip());
            }
        } catch (InterruptedException e) {
            child.end();
            Thread.currentThread().interrupt();
            throw new ForkrunnerException("interrupted while asking " + program + " for its version");
        }
        Matcher matcher = pattern.matcher(output);
        if (!matcher.find()) {
            throw new ForkrunnerException(
                    program + " --version printed no version as expected (" + pattern + "): " + output.strip());
        }
        return matcher.group(1);
    }
}
