package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.system.Problem;
import io.forkrunner.testing.CliResult;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A definitions file larger than 1 MiB is refused unread, naming the file: validate and reload never chew on it. */
class FileSizeLimitTest {

    private final DefinitionHome home = DefinitionHome.create();

    @Test
    void aFiftyMegabyteJobFileIsRefusedUnreadWithExitTwoNamingTheFile() throws IOException {
        home.job("nightly", DefinitionHome.JOB);
        Path huge = home.root().resolve("jobs/huge.yml");
        padded(huge, DefinitionHome.JOB, 50L * 1024 * 1024);

        CliResult result = home.validate();

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err())
                .contains("jobs/huge.yml: (file): \"" + huge + "\": is " + Files.size(huge)
                        + " bytes; a definitions file may hold at most 1048576 bytes (1 MiB): it was not read");
        assertThat(result.err()).doesNotContain("jobs/nightly.yml");
    }

    @Test
    void aValidJobFileJustOverOneMebibyteIsRefusedForItsSizeAlone() throws IOException {
        Path job = home.root().resolve("jobs/padded.yml");
        padded(job, DefinitionHome.JOB, DefinitionReader.MAX_FILE_BYTES + 1);

        Problem problem = home.problem();

        assertThat(problem.file()).isEqualTo("jobs/padded.yml");
        assertThat(problem.field()).isEqualTo("(file)");
        assertThat(problem.message())
                .startsWith("is " + Files.size(job) + " bytes; a definitions file may hold at most");
    }

    @Test
    void aJobFileOfExactlyOneMebibyteIsRead() throws IOException {
        padded(home.root().resolve("jobs/padded.yml"), DefinitionHome.JOB, DefinitionReader.MAX_FILE_BYTES);

        assertThat(home.read().jobs()).containsKey("padded");
    }

    @Test
    void anOversizedConfigFileIsRefusedNamingIt() throws IOException {
        padded(home.root().resolve("config/services.yml"), DefinitionHome.SERVICES, 2L * 1024 * 1024);

        CliResult result = home.validate();

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err()).contains("config/services.yml: (file): ").contains("at most 1048576 bytes");
    }

    /** {@code yaml} followed by comment lines up to exactly {@code size} bytes: valid YAML of that size. */
    private static void padded(Path file, String yaml, long size) throws IOException {
        Files.createDirectories(file.getParent());
        try (BufferedWriter writer = Files.newBufferedWriter(file)) {
            writer.write(yaml);
            long written = yaml.length();
            String line = "#" + "x".repeat(1022) + "\n";
            while (written + line.length() <= size) {
                writer.write(line);
                written += line.length();
            }
            if (written < size) {
                writer.write("#" + "x".repeat((int) (size - written - 1)));
            }
        }
        assertThat(Files.size(file)).isEqualTo(size);
    }
}
