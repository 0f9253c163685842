-- The replication slots forkrunner made on sources, with where and how to reach them, so that a slot is dropped once
-- its service leaves services.yml or stops streaming, and never one forkrunner did not make. password_ref is the
-- reference as written in services.yml (a file or environment reference), never a password.
create table replication_slots (
    service      text        primary key,
    slot         text        not null,
    engine       text        not null,
    host         text        not null,
    port         int         not null,
    username     text        not null,
    password_ref text,
    created_at   timestamptz not null
);

-- A stretch of a service's point-in-time window that cannot be restored: its slot held more than
-- backups.max-retained and was dropped. It ends when the fresh base backup taken after it ends.
create table wal_gaps (
    id             bigserial   primary key,
    service        text        not null,
    from_time      timestamptz not null,
    from_lsn       text,
    to_time        timestamptz,
    to_lsn         text,
    retained_bytes bigint      not null,
    recorded_at    timestamptz not null
);
create index wal_gaps_by_service on wal_gaps (service);

-- Notifications about a service rather than a run (a failed scheduled backup, a WAL gap): no execution, run or job.
alter table notifications
    alter column execution_id drop not null,
    alter column run_id drop not null,
    alter column job drop not null,
    add column service text;
