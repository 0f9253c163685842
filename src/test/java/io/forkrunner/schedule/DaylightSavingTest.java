package io.forkrunner.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.definition.JobDefinition;
import io.forkrunner.definition.PointInTime;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cron schedules fire by their zone's wall clock across daylight-saving changes: computed, never slept through. */
class DaylightSavingTest {

    static JobDefinition nightly(String cron) {
        return new JobDefinition(
                "nightly",
                null,
                "shop",
                null,
                new JobDefinition.Target("nightly-{run}", "eu-local", null),
                new PointInTime.Latest(),
                new JobDefinition.Schedule(
                        cron, ZoneId.of("Europe/Helsinki"), JobDefinition.Misfire.RUN_ONCE, JobDefinition.Overlap.SKIP),
                true,
                true,
                List.of(),
                List.of(),
                List.of(),
                false,
                new JobDefinition.Retention(null, null),
                List.of());
    }

    @Test
    void halfPastTwoInHelsinkiStaysHalfPastTwoWhenSummerTimeBegins() {
        // 2027-03-28 03:00 EET becomes 04:00 EEST: 02:30 local moves from 00:30Z to 23:30Z the day before
        assertThat(Schedules.fireTimes(nightly("0 30 2 * * ?"), Instant.parse("2027-03-26T00:00:00Z"), 5))
                .containsExactly(
                        Instant.parse("2027-03-26T00:30:00Z"),
                        Instant.parse("2027-03-27T00:30:00Z"),
                        Instant.parse("2027-03-28T00:30:00Z"),
                        Instant.parse("2027-03-28T23:30:00Z"),
                        Instant.parse("2027-03-29T23:30:00Z"));
    }

    @Test
    void halfPastTwoInHelsinkiStaysHalfPastTwoWhenSummerTimeEnds() {
        // 2027-10-31 04:00 EEST becomes 03:00 EET
        assertThat(Schedules.fireTimes(nightly("0 30 2 * * ?"), Instant.parse("2027-10-29T00:00:00Z"), 4))
                .containsExactly(
                        Instant.parse("2027-10-29T23:30:00Z"),
                        Instant.parse("2027-10-30T23:30:00Z"),
                        Instant.parse("2027-11-01T00:30:00Z"),
                        Instant.parse("2027-11-02T00:30:00Z"));
    }

    @Test
    void aTimeInTheHourThatSpringSkipsDoesNotFireThatNight() {
        // 03:30 does not exist in Helsinki on 2027-03-28
        assertThat(Schedules.fireTimes(nightly("0 30 3 * * ?"), Instant.parse("2027-03-27T00:00:00Z"), 3))
                .containsExactly(
                        Instant.parse("2027-03-27T01:30:00Z"),
                        Instant.parse("2027-03-29T00:30:00Z"),
                        Instant.parse("2027-03-30T00:30:00Z"));
    }

    @Test
    void aTimeInTheHourThatAutumnRepeatsFiresOnce() {
        // 03:30 happens twice in Helsinki on 2027-10-31: the schedule fires at the second, in winter time
        assertThat(Schedules.fireTimes(nightly("0 30 3 * * ?"), Instant.parse("2027-10-30T00:00:00Z"), 3))
                .containsExactly(
                        Instant.parse("2027-10-30T00:30:00Z"),
                        Instant.parse("2027-10-31T01:30:00Z"),
                        Instant.parse("2027-11-01T01:30:00Z"));
    }
}
