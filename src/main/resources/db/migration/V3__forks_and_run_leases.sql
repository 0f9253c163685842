-- Forks that exist: each one a service forkrunner made, with where it came from and where it listens.
create table forks (
    name          text        primary key,
    job           text        not null,
    run_id        bigint      not null,
    source        text        not null,
    region        text        not null,
    engine        text        not null,
    version       int         not null,
    point_in_time timestamptz not null,
    backup_id     text        not null,
    host          text        not null,
    port          int         not null,
    pool_port     int,
    created_at    timestamptz not null
);
create index forks_by_job on forks (job, created_at);

-- The process running a run renews its lease; a run whose lease expired and whose lock is free is dead.
create table run_leases (
    run_id       bigint      primary key,
    execution_id bigint      not null,
    node         text        not null,
    expires_at   timestamptz not null
);
