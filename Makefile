# The two commands of the quick start: `make demo` and `make test`.
# Each sets up what it needs (scripts/setup.sh is idempotent and fast when done).
# The tests run in four processes, a file to each at a time, the longest files first
# (tests/conftest.py): about a third of the suite waits on real time (a capture at the
# physics rate, a replay, a broker), so four overlap that wait on 2 cores, and on cores
# shared with other work they hold their share of them. Native thread pools run one thread
# each (see tests/conftest.py): four processes already fill the cores.
# make test runs scripts/test.py, the test command on Windows too: ruff, then mypy beside
# the suite (its first run takes a core for most of a minute while the tests wait).

.PHONY: demo test setup lint bench docs clean

demo: setup
	.venv/bin/actelemetry demo

test:
	WITH_BROWSER=1 ./scripts/setup.sh
	.venv/bin/python scripts/test.py

setup:
	./scripts/setup.sh

lint: setup
	.venv/bin/ruff check src tests benchmarks examples

bench: setup
	for b in benchmarks/*.py; do .venv/bin/python $$b || exit 1; done

docs: setup
	.venv/bin/python scripts/gen_channels_doc.py

clean:
	rm -rf .venv telemetry_logs reports ml_data ml_results demo_output bench_out .pytest_cache .mypy_cache
