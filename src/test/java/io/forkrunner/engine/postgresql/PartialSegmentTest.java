package io.forkrunner.engine.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The copy of a partial segment that pg_receivewal was still padding when it was copied is made whole, so that
 * recovery takes it (a CI run failed on "archive file ... has wrong size: 12361728 instead of 16777216").
 */
class PartialSegmentTest {

    private static final int SEGMENT = (int) PostgresWalArchive.DEFAULT_SEGMENT_SIZE;

    @TempDir
    Path temp;

    @Test
    void aShortCopyIsPaddedWithZerosToAWholeSegmentKeepingEveryByteItHad() throws Exception {
        byte[] written = new byte[12_361_728];
        new Random(7).nextBytes(written);
        Path copy = Files.write(temp.resolve("000000010000000000000004"), written);

        PostgresRestore.padPartial(copy, SEGMENT);

        byte[] padded = Files.readAllBytes(copy);
        assertThat(padded).hasSize(SEGMENT);
        assertThat(Arrays.copyOfRange(padded, 0, written.length)).isEqualTo(written);
        byte[] rest = Arrays.copyOfRange(padded, written.length, SEGMENT);
        assertThat(rest).containsOnly((byte) 0);
    }

    @Test
    void aWholeSegmentIsLeftAsItIs() throws Exception {
        byte[] whole = new byte[SEGMENT];
        new Random(8).nextBytes(whole);
        Path copy = Files.write(temp.resolve("000000010000000000000005"), whole);

        PostgresRestore.padPartial(copy, SEGMENT);

        assertThat(Files.readAllBytes(copy)).isEqualTo(whole);
    }
}
