-- regdiff's store in ClickHouse, schema version 1 (runs on ClickHouse 18.16 and later).
-- `{db}` is the database named in the store URL. regdiff runs these statements on first use
-- (each is idempotent), then writes the version into `schema_version`.
--
-- Visibility: a run's rows go into `test_results` and `metrics` first, tagged with the id of
-- the write (`write_id`); its row in `runs` goes last, in one insert. Readers only read rows
-- whose (run id, write id) is listed in `runs`, so a run appears all at once or not at all;
-- the rows of a write that never finished are orphans, removed by the next record of the same
-- run or by `regdiff store gc`.
--
-- Order: every question regdiff asks starts from "the runs of a branch in a time window"
-- (a base side, the last N runs of history, a trend), so the key is (branch, time, run):
-- those runs are one contiguous range of each table, and per-test questions ("failures of
-- these tests over the last 50 runs of main") read the `id` and `status` columns of that
-- range only.

CREATE TABLE IF NOT EXISTS {db}.runs (
    id String,
    write_id UInt64,
    branch String,
    commit String,
    time String,
    time_ms Int64,
    recorded DateTime,
    header String,
    contexts String,
    tail String,
    end_line String,
    tests UInt64,
    metrics UInt64,
    passed UInt64,
    failed UInt64,
    errored UInt64,
    skipped UInt64,
    warnings UInt64,
    hash String
) ENGINE = MergeTree ORDER BY (branch, time_ms, id, write_id);

CREATE TABLE IF NOT EXISTS {db}.test_results (
    branch String,
    time_ms Int64,
    run_id String,
    write_id UInt64,
    seq UInt32,
    id String,
    status Enum8('passed' = 1, 'failed' = 2, 'errored' = 3, 'skipped' = 4),
    duration Nullable(Float64),
    attempts UInt16,
    mixed UInt8,
    signature String,
    message String,
    row String
) ENGINE = MergeTree ORDER BY (branch, time_ms, run_id, write_id, seq);

CREATE TABLE IF NOT EXISTS {db}.metrics (
    branch String,
    time_ms Int64,
    run_id String,
    write_id UInt64,
    seq UInt32,
    id String,
    unit String,
    better String,
    samples UInt32,
    median Nullable(Float64),
    row String
) ENGINE = MergeTree ORDER BY (branch, time_ms, run_id, write_id, seq);
