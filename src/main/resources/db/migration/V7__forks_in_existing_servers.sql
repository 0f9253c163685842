-- A fork made as a new database in an existing service: which service, and which database.
alter table forks add column server text;
alter table forks add column database text;
