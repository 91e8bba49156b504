"""``make bench``: what every page and job costs as operations grow, on PostgreSQL.

For each size (1,000, 10,000 and 100,000 operations) the bench starts from an
empty database of its own (``DATABASE_URL`` must name a database whose name
starts with ``opsbench``: it is dropped and recreated), migrates, times
``seed_demo --ops N --teams T`` and then measures, with a query count and the
median of several runs:

- a trivial view (``/healthz``) and the dashboard, as the manager of five teams
  and as staff; the operations list, filtered, first and last page; one
  operation's page (Django's test client with ``force_login``: server time,
  no network);
- the maturity scan, first run (no flag open) and second run (nothing
  changed), each beside its limit: the conditions of ``maturity/rules.py``
  written by hand as one raw SQL statement per rule, timed in the same process
  in alternation with the scan; the daily snapshot; the digests built for
  1,000 recipients. The scan and the digests run in a child process whose peak
  memory (``ru_maxrss``) is reported as growth over the child's baseline;
- throughput: gunicorn with two workers on loopback, ``wrk`` against the
  dashboard (a logged-in manager's session cookie) and ``/healthz``.

Every size is reseeded from an empty database rather than topped up, so that
``seed_demo`` is timed for exactly N operations and each size has the same
shape (teams of even average size, twelve weeks of snapshots). After the seed,
``VACUUM ANALYZE`` brings the database to the steady state autovacuum would
reach, so that a background vacuum does not land in the middle of a timing.

Results go to ``var/bench/results.json`` and ``var/bench/results.md``. The
load average is recorded beside every size: the machine may be shared.
"""
