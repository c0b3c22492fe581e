# synthspec — every target creates what it needs. Two commands do everything:
#   make demo   set up, generate the tSocial demo data, compile and run it on the local MOSTLY AI engine
#   make test   set up and run the whole test suite
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: venv demo test bench clean schemas

$(STAMP): pyproject.toml .ci/setup-venv
	bash .ci/setup-venv $(VENV) $(PY)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/synthspec demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python tests/bench/bench_compile.py

schemas: $(STAMP)
	$(BIN)/python -m compiler.schemagen

clean:
	rm -rf $(VENV) build .pytest_cache
