package io.forkrunner;

import java.time.Clock;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** Forkrunner: forks of database services, restored from their backups, as restartable batch jobs. */
@SpringBootApplication
public class ForkrunnerApplication {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
