"""The sizes and repetitions of the benchmark, shared by its modules."""

SIZES = ((1_000, 20), (10_000, 60), (100_000, 200))
MANAGED_TEAMS = 5
DIGEST_RECIPIENTS = 1_000
DIGEST_MANAGER_SHARE = 0.1  # the same mix at every size: 100 managers, 900 others
BENCH_MANAGER = "bench.manager"
DB_PREFIX = "opsbench"

VIEW_RUNS = 7
SCAN_FIRST_RUNS = 3
SCAN_SECOND_RUNS = 5
SNAPSHOT_RUNS = 5

SEED_TIMEOUT = 240
CHILD_TIMEOUT = 420
# Beyond 100,000 operations the seed and the jobs get longer limits, in step with
# the size: a second per thousand operations (1,000 s for the seed of a million).
SECONDS_PER_THOUSAND = 1.0
SETTLE_SECONDS = 30  # at most, waiting for the load average to come down before a size
# A spreadsheet of this many rows is previewed and imported at the size IMPORT_AT
# (issue 14: the preview within about 10 s, the import within about 20 s).
IMPORT_ROWS = 10_000
IMPORT_AT = 10_000
