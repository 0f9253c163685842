package io.forkrunner;

import io.forkrunner.cli.Cli;
import java.time.Clock;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** Forkrunner: forks of database services, restored from their backups, as restartable batch jobs. */
@SpringBootApplication
public class ForkrunnerApplication {

    public static void main(String[] args) {
        System.exit(Cli.execute(args, System.out, System.err));
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
