package io.forkrunner;

import io.forkrunner.backup.BackupReading;
import io.forkrunner.engine.Engines;
import io.forkrunner.engine.mariadb.MariaDbEngine;
import io.forkrunner.engine.postgresql.PostgresEngine;
import io.forkrunner.fork.ForkRecords;
import io.forkrunner.fork.Jobs;
import io.forkrunner.report.RunReports;
import io.forkrunner.run.RunLiveness;
import io.forkrunner.run.SkippedFires;
import io.forkrunner.schedule.ScheduleReports;
import io.forkrunner.schedule.TriggerRecords;
import io.forkrunner.system.ForkrunnerException;
import io.forkrunner.system.Migrations;
import java.time.Clock;
import java.util.Optional;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.repository.support.JdbcJobRepositoryFactoryBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/**
 * The context of a command that only reads ({@code status}, {@code forks}, {@code backups}, {@code schedules}): one
 * plain connection to the metadata store, Spring Batch's JDBC job repository on it, and the few components those
 * commands call. No Spring Boot, hence no Quartz scheduler, Flyway, web server, connection pool, actuator or batch job
 * registry. Only for a store migrated already: only the full start migrates.
 */
final class Reading {

    private Reading() {}

    /** What the read commands call; everything else stays out. */
    @Import({
        RunReports.class,
        RunLiveness.class,
        Jobs.class,
        ForkRecords.class,
        TriggerRecords.class,
        SkippedFires.class,
        ScheduleReports.class,
        Engines.class,
        PostgresEngine.class,
        MariaDbEngine.class,
        BackupReading.class
    })
    static final class Components {}

    /** Whether the metadata store has every migration this forkrunner carries: then no start needs Flyway. */
    static boolean migrated(Forkrunner.Start start) {
        SingleConnectionDataSource dataSource = dataSource(start);
        try {
            return Migrations.applied(JdbcClient.create(dataSource));
        } finally {
            dataSource.destroy();
        }
    }

    /** The context, or empty when the metadata store lacks a migration this forkrunner carries. */
    static Optional<ConfigurableApplicationContext> open(Forkrunner.Start start) {
        SingleConnectionDataSource dataSource = dataSource(start);
        JdbcClient jdbc = JdbcClient.create(dataSource);
        try {
            if (!Migrations.applied(jdbc)) {
                dataSource.destroy();
                return Optional.empty();
            }
            AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
            var beans = context.getBeanFactory();
            start.register(beans);
            beans.registerSingleton("clock", Clock.systemUTC());
            context.registerBean("dataSource", DataSource.class, () -> dataSource);
            // its connection is closed with the context: a lazy bean no command asked for is never destroyed by it
            context.addApplicationListener((ContextClosedEvent closed) -> dataSource.destroy());
            context.registerBean(JdbcClient.class, () -> jdbc);
            context.registerBean(JobRepository.class, () -> jobRepository(dataSource));
            context.register(Components.class);
            // a command makes only the beans it asks for, and what they need
            context.addBeanFactoryPostProcessor(factory -> {
                for (String name : factory.getBeanDefinitionNames()) {
                    factory.getBeanDefinition(name).setLazyInit(true);
                }
            });
            context.refresh();
            return Optional.of(context);
        } catch (RuntimeException e) {
            dataSource.destroy();
            throw e;
        }
    }

    private static SingleConnectionDataSource dataSource(Forkrunner.Start start) {
        SingleConnectionDataSource dataSource = new SingleConnectionDataSource();
        dataSource.setUrl(start.metadata().url());
        dataSource.setUsername(start.metadata().user());
        if (start.metadata().password() != null) {
            dataSource.setPassword(start.metadata().password().reveal());
        }
        dataSource.setSuppressClose(true);
        Properties properties = new Properties();
        properties.setProperty("ApplicationName", "forkrunner-read");
        dataSource.setConnectionProperties(properties);
        return dataSource;
    }

    /** Spring Batch's JDBC job repository as the full start configures it, minus what only launching runs needs. */
    private static JobRepository jobRepository(DataSource dataSource) {
        JdbcJobRepositoryFactoryBean factory = new JdbcJobRepositoryFactoryBean();
        factory.setDataSource(dataSource);
        factory.setTransactionManager(new DataSourceTransactionManager(dataSource));
        try {
            factory.afterPropertiesSet();
            return factory.getObject();
        } catch (Exception e) {
            throw new ForkrunnerException("cannot read the runs in the metadata store: " + e.getMessage(), e);
        }
    }
}
