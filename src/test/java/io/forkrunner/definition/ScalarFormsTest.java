package io.forkrunner.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The forms of single values written in files: names, durations, points in time and port ranges. */
class ScalarFormsTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "shop", "shop-dev", "eu-local", "s3", "a-"})
    void namesStartWithALowerCaseLetterThenLettersDigitsOrDashes(String name) {
        assertThat(Names.valid(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Shop", "shop_dev", "1shop", "-shop", "shop dev", "shöp", "shop.dev"})
    void namesOutsideTheRuleAreInvalid(String name) {
        assertThat(Names.valid(name)).isFalse();
    }

    @Test
    void namesHaveAtMostSixtyThreeCharacters() {
        assertThat(Names.valid("a".repeat(63))).isTrue();
        assertThat(Names.valid("a".repeat(64))).isFalse();
        assertThat(Names.valid(null)).isFalse();
        assertThatThrownBy(() -> Names.require("Shop", "service"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("service \"Shop\"");
    }

    @ParameterizedTest
    @CsvSource({"30s, PT30S", "15m, PT15M", "24h, PT24H", "7d, PT168H", "2w, PT336H", "' 1h ', PT1H"})
    void durationsAreANumberAndAUnit(String text, Duration expected) {
        assertThat(Durations.parse(text)).contains(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0s", "1", "h", "1 h", "1H", "1.5h", "-1h", "PT1H", "1y", "1h30m"})
    void durationsInOtherFormsAreRefused(String text) {
        assertThat(Durations.parse(text)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"30s", "90m", "25h", "7d", "36h", "1d"})
    void aDurationIsFormattedAsItIsRead(String text) {
        assertThat(Durations.format(Durations.parse(text).orElseThrow())).isEqualTo(text);
    }

    @Test
    void aWholeNumberOfDaysIsFormattedInDays() {
        assertThat(Durations.format(Duration.ofHours(24))).isEqualTo("1d");
        assertThat(Durations.format(Duration.ofSeconds(86_400 * 14))).isEqualTo("14d");
    }

    @Test
    void pointsInTimeAreLatestATimeWithOffsetOrMinusADuration() {
        Instant now = Instant.parse("2026-11-26T02:30:00Z");

        assertThat(PointInTime.parse("latest")).contains(new PointInTime.Latest());
        assertThat(PointInTime.parse("2026-11-26T01:00:00+02:00").orElseThrow().resolve(now))
                .contains(Instant.parse("2026-11-25T23:00:00Z"));
        assertThat(PointInTime.parse("-2h").orElseThrow().resolve(now)).contains(Instant.parse("2026-11-26T00:30:00Z"));
        assertThat(PointInTime.parse("-2h").orElseThrow()).hasToString("-2h");
        assertThat(PointInTime.parse("latest").orElseThrow().resolve(now)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"now", "2026-11-25T23:00:00", "2026-11-25", "-", "-2", "2h", "+2h"})
    void pointsInTimeInOtherFormsAreRefused(String text) {
        assertThat(PointInTime.parse(text)).isEmpty();
    }

    @Test
    void portRangesOverlapWhenTheyShareAPort() {
        PortRange eu = new PortRange(16000, 16099);

        assertThat(eu.overlaps(new PortRange(16099, 16199))).isTrue();
        assertThat(eu.overlaps(new PortRange(15000, 17000))).isTrue();
        assertThat(eu.overlaps(new PortRange(16100, 16199))).isFalse();
        assertThat(eu.contains(16000)).isTrue();
        assertThat(eu.contains(16100)).isFalse();
        assertThat(PortRange.parse("16000-16099")).contains(eu);
    }

    @Test
    void aPortRangeOutside1024To65535CannotBeMade() {
        assertThatThrownBy(() -> new PortRange(1023, 2000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PortRange(2000, 1999)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PortRange(60000, 65536)).isInstanceOf(IllegalArgumentException.class);
    }
}
