-- Runs on an upgrade-test fork after the restore: it must run clean on the new version.
do $$
declare
  tables int;
begin
  select count(*) into tables from pg_tables where schemaname not in ('pg_catalog', 'information_schema');
  raise notice 'user tables on the new version: %', tables;
  perform count(*) from pg_stat_activity;
end
$$;
