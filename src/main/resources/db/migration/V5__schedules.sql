-- Fires of a schedule that did not launch a run, with the reason (overlap: skip, misfire: skip).
create table skipped_fires (
    job         text        not null,
    fire_time   timestamptz not null,
    reason      text        not null,
    node        text        not null,
    recorded_at timestamptz not null
);
create index skipped_fires_by_job on skipped_fires (job, recorded_at);

-- Runs a shutting-down process stopped: the next serve restarts them.
create table runs_to_resume (
    run_id      bigint      primary key,
    reason      text        not null,
    recorded_at timestamptz not null
);
