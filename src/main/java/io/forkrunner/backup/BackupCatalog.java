package io.forkrunner.backup;

import io.forkrunner.engine.BaseBackup;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The metadata store's record of every service's base backups. */
@Component
class BackupCatalog {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final JdbcClient jdbc;

    BackupCatalog(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void started(String service, String id, Path directory, Instant at) {
        jdbc.sql(
                        "insert into backups (service, id, state, directory, started_at) values (:service, :id, 'RUNNING', :directory, :at)")
                .param("service", service)
                .param("id", id)
                .param("directory", directory.toString())
                .param("at", Timestamp.from(at))
                .update();
    }

    void verified(String service, String id, BaseBackup backup) {
        jdbc.sql("update backups set state = 'VERIFIED', verified = true, started_at = :started, ended_at = :ended,"
                        + " timeline = :timeline, start_lsn = :start, end_lsn = :end, size_bytes = :size"
                        + " where service = :service and id = :id")
                .param("started", Timestamp.from(backup.startedAt()))
                .param("ended", Timestamp.from(backup.endedAt()))
                .param("timeline", backup.timeline())
                .param("start", backup.startPosition())
                .param("end", backup.endPosition())
                .param("size", backup.sizeBytes())
                .param("service", service)
                .param("id", id)
                .update();
    }

    /** Records the source's settings as they were when the backup was taken. */
    void settings(String service, String id, Map<String, String> settings) {
        jdbc.sql("update backups set settings = :settings where service = :service and id = :id")
                .param("settings", JSON.writeValueAsString(new TreeMap<>(settings)))
                .param("service", service)
                .param("id", id)
                .update();
    }

    /** The source's settings recorded with a backup; empty for a backup taken before they were recorded. */
    Optional<Map<String, String>> settings(String service, String id) {
        return jdbc.sql("select settings from backups where service = :service and id = :id and settings is not null")
                .param("service", service)
                .param("id", id)
                .query(String.class)
                .optional()
                .map(json -> JSON.readValue(json, new TypeReference<TreeMap<String, String>>() {}));
    }

    void failed(String service, String id, String error, Instant at) {
        jdbc.sql(
                        "update backups set state = 'FAILED', ended_at = :at, error = :error where service = :service and id = :id")
                .param("at", Timestamp.from(at))
                .param("error", error)
                .param("service", service)
                .param("id", id)
                .update();
    }

    /** A verified backup found damaged since: no longer offered, kept for the operator to look at, with the reason. */
    void damaged(String service, String id, String error) {
        jdbc.sql("update backups set state = 'FAILED', verified = false, error = :error"
                        + " where service = :service and id = :id")
                .param("error", error)
                .param("service", service)
                .param("id", id)
                .update();
    }

    void remove(String service, String id) {
        jdbc.sql("delete from backups where service = :service and id = :id")
                .param("service", service)
                .param("id", id)
                .update();
    }

    /** All backups of the service, oldest first. */
    List<StoredBackup> list(String service) {
        return jdbc.sql("select * from backups where service = :service order by started_at, id")
                .param("service", service)
                .query(BackupCatalog::backup)
                .list();
    }

    private static StoredBackup backup(ResultSet row, int index) throws SQLException {
        Timestamp ended = row.getTimestamp("ended_at");
        return new StoredBackup(
                row.getString("service"),
                row.getString("id"),
                StoredBackup.State.valueOf(row.getString("state")),
                Path.of(row.getString("directory")),
                row.getTimestamp("started_at").toInstant(),
                ended == null ? null : ended.toInstant(),
                (Integer) row.getObject("timeline"),
                row.getString("start_lsn"),
                row.getString("end_lsn"),
                (Long) row.getObject("size_bytes"),
                row.getBoolean("verified"),
                row.getString("error"));
    }
}
