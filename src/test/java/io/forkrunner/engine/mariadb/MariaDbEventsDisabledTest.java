package io.forkrunner.engine.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forkrunner.system.ForkrunnerException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The events of a dump are created disabled: the status of each {@code CREATE EVENT} line of {@code mariadb-dump
 * --events} (lines as MariaDB 10.11 writes them) becomes {@code DISABLE}, and nothing else changes, whatever the names,
 * definer, comment and body hold.
 */
class MariaDbEventsDisabledTest {

    private static final Path FILE = Path.of("/dump/db-1/events.sql");
    private static final String HEAD = "/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT ";

    @Test
    void anEnabledEventIsCreatedDisabledAndTheRestOfTheDumpIsLeftAsItIs() {
        String dump = """
                /*!50106 DROP EVENT IF EXISTS `tick` */;
                DELIMITER ;;
                /*!50003 SET time_zone             = 'SYSTEM' */ ;;
                %s`tick` ON SCHEDULE EVERY 1 SECOND STARTS '2026-12-02 21:38:00' ON COMPLETION NOT PRESERVE ENABLE DO \
                insert into ticks values (now(6)) ON COMPLETION PRESERVE ENABLE
                */ ;;
                DELIMITER ;
                """.formatted(HEAD);

        assertThat(MariaDbLogicalCopy.disabled(dump, FILE))
                .isEqualTo(dump.replace("NOT PRESERVE ENABLE DO", "NOT PRESERVE DISABLE DO"));
    }

    @Test
    void everyStatusBecomesDisableAndOnlyTheStatusNotWhatTheNamesTheDefinerOrTheCommentSay() {
        String dump = String.join(
                "\n",
                "/*!50106 CREATE*/ /*!50117 DEFINER=`o'' ON COMPLETION PRESERVE ENABLE `@`%`*/ /*!50106 EVENT"
                        + " `a `` ON COMPLETION NOT PRESERVE ENABLE x` ON SCHEDULE AT '2027-01-01 00:00:00'"
                        + " ON COMPLETION PRESERVE ENABLE COMMENT 'it''s ENABLE DO \\' ENABLE' DO begin",
                "ON COMPLETION PRESERVE ENABLE DO select 1;",
                "end */ ;;",
                HEAD + "`paused` ON SCHEDULE EVERY 1 HOUR STARTS '2026-12-02 21:38:00'"
                        + " ON COMPLETION NOT PRESERVE DISABLE COMMENT 'a ENABLE DO b' DO select 2 */ ;;",
                HEAD + "`replicated` ON SCHEDULE EVERY '1:30' MINUTE_SECOND STARTS '2026-12-02 21:38:00'"
                        + " ON COMPLETION NOT PRESERVE DISABLE ON SLAVE DO select 3 */ ;;");

        assertThat(MariaDbLogicalCopy.disabled(dump, FILE).split("\n"))
                .containsExactly(
                        "/*!50106 CREATE*/ /*!50117 DEFINER=`o'' ON COMPLETION PRESERVE ENABLE `@`%`*/ /*!50106 EVENT"
                                + " `a `` ON COMPLETION NOT PRESERVE ENABLE x` ON SCHEDULE AT '2027-01-01 00:00:00'"
                                + " ON COMPLETION PRESERVE DISABLE COMMENT 'it''s ENABLE DO \\' ENABLE' DO begin",
                        "ON COMPLETION PRESERVE ENABLE DO select 1;",
                        "end */ ;;",
                        HEAD + "`paused` ON SCHEDULE EVERY 1 HOUR STARTS '2026-12-02 21:38:00'"
                                + " ON COMPLETION NOT PRESERVE DISABLE COMMENT 'a ENABLE DO b' DO select 2 */ ;;",
                        HEAD + "`replicated` ON SCHEDULE EVERY '1:30' MINUTE_SECOND STARTS '2026-12-02 21:38:00'"
                                + " ON COMPLETION NOT PRESERVE DISABLE DO select 3 */ ;;");
    }

    @Test
    void anEventWhoseStatusCannotBeFoundIsRefusedNamingTheFileRatherThanLoadedEnabled() {
        String dump = HEAD + "`tick` ON SCHEDULE EVERY 1 SECOND ENABLE DO select 1 */ ;;";

        assertThatThrownBy(() -> MariaDbLogicalCopy.disabled(dump, FILE))
                .isInstanceOf(ForkrunnerException.class)
                .hasMessageContaining("cannot find the status of an event in /dump/db-1/events.sql");
    }

    @Test
    void aDumpWithoutEventsIsLoadedAsItIs() {
        assertThat(MariaDbLogicalCopy.disabled("", FILE)).isEmpty();
    }
}
