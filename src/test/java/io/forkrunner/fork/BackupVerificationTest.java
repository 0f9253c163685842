package io.forkrunner.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.system.ForkrunnerException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The verification of a backup that runs beside its restore: what it finds reaches the step, and a stop never takes a
 * verification cut short for a damaged backup.
 */
class BackupVerificationTest {

    private final List<String> marked = new CopyOnWriteArrayList<>();

    private RuntimeException mark(String problem) {
        marked.add(problem);
        return new ForkrunnerException("backup b1 is damaged: " + problem);
    }

    @Test
    void aVerificationStoppedPartWayMarksNothingAndHasEndedWhenStopReturns() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        AtomicBoolean ended = new AtomicBoolean();
        BackupVerification verification = BackupVerification.start(
                () -> {
                    reading.countDown();
                    try {
                        Thread.sleep(TimeUnit.MINUTES.toMillis(10));
                        return Optional.empty();
                    } catch (InterruptedException e) {
                        // as a child process cancelled, or a read interrupted: a problem, and the thread interrupted
                        Thread.currentThread().interrupt();
                        return Optional.of("pg_verifybackup was cancelled");
                    } finally {
                        ended.set(true);
                    }
                },
                this::mark);
        assertThat(reading.await(1, TimeUnit.MINUTES)).isTrue();

        verification.stop();

        assertThat(ended).isTrue();
        assertThat(marked).isEmpty();
        assertThatThrownBy(verification::await).hasMessageContaining("was stopped");
    }

    @Test
    void aProblemFoundMarksTheBackupAndFailsTheWait() {
        BackupVerification verification =
                BackupVerification.start(() -> Optional.of("checksum mismatch for file \"base/5/16384\""), this::mark);

        assertThatThrownBy(verification::await)
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("is damaged", "checksum mismatch", "base/5/16384");
        assertThat(marked).containsExactly("checksum mismatch for file \"base/5/16384\"");
    }

    @Test
    void aDamageFoundStopsARestoreThatWouldWaitForEverAndExplainsItsFailure() {
        CountDownLatch restoring = new CountDownLatch(1);
        BackupVerification verification = BackupVerification.start(
                () -> {
                    try {
                        restoring.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Optional.of("size mismatch");
                },
                this::mark);
        RuntimeException failure;
        try {
            restoring.countDown();
            // a restore that never ends by itself, as a search node's of a snapshot whose file changed
            boolean ended = new CountDownLatch(1).await(2, TimeUnit.MINUTES);
            throw new AssertionError("the restore was not interrupted (ended by itself: " + ended + ")");
        } catch (InterruptedException e) {
            failure = new ForkrunnerException("the restore was stopped", e);
        }

        RuntimeException thrown = verification.explain(failure);

        assertThat(thrown).hasMessageContaining("is damaged", "size mismatch");
        assertThat(thrown.getSuppressed()).containsExactly(failure);
        assertThat(Thread.currentThread().isInterrupted())
                .as("the verification's own interrupt is taken back")
                .isFalse();
    }

    @Test
    void aWholeBackupLetsTheRestoreGoOnAndLeavesAFailureOfItsOwnAsItWas() {
        BackupVerification verification = BackupVerification.start(Optional::empty, this::mark);
        ForkrunnerException recovery = new ForkrunnerException("the server stopped during recovery");

        assertThat(verification.await().isNegative()).isFalse();
        assertThat(verification.explain(recovery)).isSameAs(recovery);
        assertThat(marked).isEmpty();
    }
}
