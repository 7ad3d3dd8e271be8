"""One launcher for the local stack, used by `make demo` and by the integration tests.

Why Python: the demo and the tests start the same processes (ingest, metrics workers, API,
simulator) with the same settings, wait for the same readiness endpoints and stop them the
same way; one implementation keeps them from drifting apart. The infrastructure (Kafka,
PostgreSQL) stays in the bash scripts of scripts/infra/, which this package only calls.

- `processes`: one child process with its log file; readiness waits; ordered shutdown.
- `infra`: start (and later stop) what scripts/infra must start; the URLs the services use.
- `stack`: migrations, the agreements, and the services of one stack with their settings.
- `demo`: `python -m scripts.launcher` (what `make demo` runs).
"""
