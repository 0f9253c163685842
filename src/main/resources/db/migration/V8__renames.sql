-- Renames by fork: a service, the name of the new service forked from it, and how far the rename got, so that running
-- the same rename again after a crash goes on from there.
create table renames (
    new_name   text        primary key,
    service    text        not null,
    state      text        not null,
    position   text,
    run_id     bigint,
    started_at timestamptz not null,
    updated_at timestamptz not null
);
