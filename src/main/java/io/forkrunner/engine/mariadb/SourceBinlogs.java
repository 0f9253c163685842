package io.forkrunner.engine.mariadb;

import io.forkrunner.system.Command;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.ProcessRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The binary logs a source still holds, oldest first, as {@code SHOW BINARY LOGS} lists them (the login needs
 * {@code BINLOG MONITOR}, formerly {@code REPLICATION CLIENT}). The last one is the file the source writes now; its size
 * is the position {@code SHOW MASTER STATUS} reports. Names are checked to be binlog names: they are compared with
 * archived files and given to mariadb-binlog, never made into paths here.
 */
record SourceBinlogs(List<Binlog> files) {

    /** One binlog on the source and its size in bytes. */
    record Binlog(BinlogName name, long size) {}

    SourceBinlogs {
        files = List.copyOf(files);
    }

    /** Asks the source, logging in with {@code options}, run as the service user. */
    static SourceBinlogs read(ProcessRunner runner, MariaDbBinaries binaries, OptionFile options) {
        String output = runner.run(Command.of(
                        binaries.client().toString(),
                        options.argument(),
                        "--batch",
                        "--skip-column-names",
                        "--execute=SHOW BINARY LOGS")
                .asServiceUser()
                .withTimeout(Duration.ofMinutes(1)));
        return parse(output);
    }

    /** Rows of {@code NAME<tab>SIZE} (MariaDB 10.11 prints no more columns in batch mode). */
    static SourceBinlogs parse(String output) {
        List<Binlog> files = new ArrayList<>();
        for (String line : output.strip().lines().toList()) {
            String[] fields = line.split("\t");
            Optional<BinlogName> name = BinlogName.of(fields[0]);
            if (fields.length < 2 || name.isEmpty() || !fields[1].matches("[0-9]{1,18}")) {
                throw new ForkrunnerException("SHOW BINARY LOGS on the source gave a row that is not a binlog name and"
                        + " size (expected e.g. binlog.000001<tab>1211): " + line);
            }
            files.add(new Binlog(name.get(), Long.parseLong(fields[1])));
        }
        return new SourceBinlogs(files);
    }

    Optional<Binlog> oldest() {
        return files.isEmpty() ? Optional.empty() : Optional.of(files.get(0));
    }

    Optional<Binlog> newest() {
        return files.isEmpty() ? Optional.empty() : Optional.of(files.get(files.size() - 1));
    }

    Optional<Binlog> find(String file) {
        return files.stream().filter(each -> each.name().file().equals(file)).findFirst();
    }

    /**
     * How many bytes the source holds beyond {@code bytes} of its file {@code file}: the rest of that file and every
     * later one; empty when the source no longer holds {@code file}.
     */
    OptionalLong bytesAfter(String file, long bytes) {
        Optional<Binlog> from = find(file);
        if (from.isEmpty()) {
            return OptionalLong.empty();
        }
        long sequence = from.get().name().sequence();
        long later = files.stream()
                .filter(each -> each.name().sequence() > sequence)
                .mapToLong(Binlog::size)
                .sum();
        return OptionalLong.of(Math.max(0, from.get().size() - bytes) + later);
    }
}
