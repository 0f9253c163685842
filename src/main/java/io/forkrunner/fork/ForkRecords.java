package io.forkrunner.fork;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The metadata store's record of the forks that exist; {@link ForkRegistry} makes and drops the forks themselves. */
@Component
public class ForkRecords {

    private final JdbcClient jdbc;

    ForkRecords(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void register(ForkRecord fork) {
        jdbc.sql("insert into forks (name, job, run_id, source, region, engine, version, point_in_time, backup_id,"
                        + " host, port, pool_port, created_at, server, database) values (:name, :job, :run, :source,"
                        + " :region, :engine, :version, :pit, :backup, :host, :port, :poolPort, :created, :server,"
                        + " :database) on conflict (name) do nothing")
                .param("name", fork.name())
                .param("job", fork.job())
                .param("run", fork.runId())
                .param("source", fork.source())
                .param("region", fork.region())
                .param("engine", fork.engine())
                .param("version", fork.version())
                .param("pit", Timestamp.from(fork.pointInTime()))
                .param("backup", fork.backupId())
                .param("host", fork.host())
                .param("port", fork.port())
                .param("poolPort", fork.poolPort())
                .param("created", Timestamp.from(fork.createdAt()))
                .param("server", fork.server())
                .param("database", fork.database())
                .update();
    }

    /** The forks that exist, oldest first. */
    public List<ForkRecord> list() {
        return jdbc.sql("select * from forks order by created_at, name")
                .query(ForkRecords::fork)
                .list();
    }

    public Optional<ForkRecord> find(String name) {
        return jdbc.sql("select * from forks where name = :name")
                .param("name", name)
                .query(ForkRecords::fork)
                .optional();
    }

    /** The forks of one job, newest first. */
    List<ForkRecord> ofJob(String job) {
        return jdbc.sql("select * from forks where job = :job order by created_at desc, name desc")
                .param("job", job)
                .query(ForkRecords::fork)
                .list();
    }

    void remove(String name) {
        jdbc.sql("delete from forks where name = :name").param("name", name).update();
    }

    private static ForkRecord fork(ResultSet row, int index) throws SQLException {
        return new ForkRecord(
                row.getString("name"),
                row.getString("job"),
                row.getLong("run_id"),
                row.getString("source"),
                row.getString("region"),
                row.getString("engine"),
                row.getInt("version"),
                row.getTimestamp("point_in_time").toInstant(),
                row.getString("backup_id"),
                row.getString("host"),
                row.getInt("port"),
                (Integer) row.getObject("pool_port"),
                row.getTimestamp("created_at").toInstant(),
                row.getString("server"),
                row.getString("database"));
    }
}
