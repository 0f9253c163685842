-- Webhooks to send about runs: one row per (execution, event, url), delivered by any node's dispatcher, retried with
-- growing back-off until the receiver answers 2xx. The body holds names, ids, times and the error text, never a secret.
create table notifications (
    id              bigserial   primary key,
    execution_id    bigint      not null,
    run_id          bigint      not null,
    job             text        not null,
    event           text        not null,
    url             text        not null,
    body            text        not null,
    recorded_at     timestamptz not null,
    attempts        int         not null default 0,
    next_attempt_at timestamptz not null,
    last_error      text,
    delivered_at    timestamptz,
    unique (execution_id, event, url)
);
create index notifications_due on notifications (next_attempt_at) where delivered_at is null;
create index notifications_by_run on notifications (run_id);
