package io.forkrunner.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.forkrunner.testing.CliResult;
import io.forkrunner.testing.TestHome;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DemoTest {

    @Test
    void theDemoForksItsOwnSourceToAPointBetweenTwoWritesAndSaysSo() {
        try (TestHome home = TestHome.create("demo")) {
            CliResult first = home.cli("demo");
            assertThat(first.exitCode()).as(first.toString()).isZero();
            Matcher wrote = Pattern.compile("wrote orders up to id (\\d+), then chose the point in time (\\S+),"
                            + " then wrote up to id (\\d+)")
                    .matcher(first.out());
            assertThat(wrote.find()).as(first.out()).isTrue();
            assertThat(first.out())
                    .contains("run 1 of demo-fork: COMPLETED")
                    .contains("the fork holds " + wrote.group(1) + " orders, the newest id " + wrote.group(1))
                    .contains("(the source has orders up to id " + wrote.group(3) + ")")
                    .contains("customer-1@example.invalid")
                    .containsPattern("its pool app on 127\\.0\\.0\\.1:\\d+")
                    .contains("psql \"host=127.0.0.1");

            CliResult again = home.cli("demo");
            assertThat(again.exitCode())
                    .as("a second demo reuses its source: " + again)
                    .isZero();
            assertThat(again.out()).contains("run 2 of demo-fork: COMPLETED");
        }
    }
}
