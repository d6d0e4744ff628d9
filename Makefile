# `make run` builds .venv with what running needs (requirements/runtime.txt); the other targets
# build it with the test tools too (requirements/dev.txt). Either rebuilds .venv from scratch when
# it is missing or older than pyproject.toml or its lock, so nothing depends on what happens to be
# installed on the machine. The locks pin every version, with hashes; `make lock` remakes them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.runtime
PIP_TOOLS := pip-tools==7.5.2
LOCK_UPGRADE :=

.PHONY: run console test soak lint typecheck bench lock clean

# The project goes in after its locked dependencies; a dependency pyproject.toml names that the
# lock does not yet have is still installed (unpinned) so work goes on, and the suite's lock test
# says to run `make lock`.
define fresh_venv
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(1)
	$(BIN)/python -m pip install --quiet -e '$(2)'
endef

$(RUNTIME_STAMP): pyproject.toml requirements/runtime.txt
	$(call fresh_venv,requirements/runtime.txt,.)
	touch $(RUNTIME_STAMP)

# A venv with the test tools also has all that running needs, so it stands for both.
$(STAMP): pyproject.toml requirements/dev.txt
	$(call fresh_venv,requirements/dev.txt,.[dev])
	touch $(RUNTIME_STAMP) $(STAMP)

run: $(RUNTIME_STAMP)
	$(BIN)/homegroup run

console: $(RUNTIME_STAMP)
	$(BIN)/homegroup console

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The later runs build the flow tests on the in-memory store, then on PostgreSQL
# (HOMEGROUP_TEST_POSTGRES, else the server on 127.0.0.1:5432): those that read no database file.
test: lint typecheck
	$(BIN)/pytest -q
	HOMEGROUP_TEST_STORE=memory $(BIN)/pytest -q
	HOMEGROUP_TEST_STORE=postgres $(BIN)/pytest -q

# Real processes on one PostgreSQL database (HOMEGROUP_TEST_POSTGRES, else 127.0.0.1:5432), killed
# at random under traffic, for a few minutes; `make test` leaves it out. HOMEGROUP_SOAK_SEED
# replays a run's randomness (each run prints its seed).
soak: $(STAMP)
	$(BIN)/pytest -q -s -m soak tests/soak

bench: $(STAMP)
	$(BIN)/python -m bench

# Remakes both locks from pyproject.toml for Python 3.11 against PyPI itself (a mirror's own files
# would give hashes a fresh machine cannot match); the dev lock keeps the runtime lock's versions.
# Pins already in a lock stay as they are unless `make lock LOCK_UPGRADE=--upgrade`.
LOCK := env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(VENV)-lock/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	--index-url https://pypi.org/simple
lock:
	test -x $(VENV)-lock/bin/pip-compile || \
		{ $(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/python -m pip install --quiet $(PIP_TOOLS); }
	$(LOCK) $(LOCK_UPGRADE) -o requirements/runtime.txt pyproject.toml
	$(LOCK) $(LOCK_UPGRADE) --extra dev -c requirements/runtime.txt -o requirements/dev.txt pyproject.toml

clean:
	rm -rf $(VENV) $(VENV)-lock .mypy_cache .pytest_cache .ruff_cache .hypothesis
