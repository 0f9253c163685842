-- forkrunner's own records. V1 is Spring Batch's job repository (io.forkrunner.system.SpringBatchSchema).

create table port_reservations (
    host        text        not null,
    port        int         not null,
    region      text        not null,
    owner       text        not null,
    purpose     text        not null,
    reserved_at timestamptz not null,
    primary key (host, port)
);

create table instances (
    name       text        primary key,
    region     text        not null,
    engine     text        not null,
    version    int         not null,
    host       text        not null,
    port       int         not null,
    directory  text        not null unique,
    state      text        not null,
    created_at timestamptz not null
);

create table backups (
    service    text        not null,
    id         text        not null,
    state      text        not null,
    directory  text        not null,
    started_at timestamptz not null,
    ended_at   timestamptz,
    timeline   int,
    start_lsn  text,
    end_lsn    text,
    size_bytes bigint,
    verified   boolean     not null default false,
    error      text,
    primary key (service, id)
);

create table wal_archivers (
    service     text        primary key,
    node        text        not null,
    pid         bigint,
    state       text        not null,
    started_at  timestamptz,
    restarts    int         not null default 0,
    last_error  text,
    lag_bytes   bigint,
    updated_at  timestamptz not null
);
