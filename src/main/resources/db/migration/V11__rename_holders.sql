-- The process carrying out a rename now (HOST:PID), while it holds the rename's lock: abandoning the rename is refused
-- naming it. The row goes when the process ends the rename; one left by a process that died is replaced by the next.
create table rename_holders (
    new_name text        primary key,
    node     text        not null,
    since    timestamptz not null
);
