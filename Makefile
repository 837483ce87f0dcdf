# Two commands do the whole set-up on a fresh machine:
#   make lab    open the workbook in JupyterLab
#   make test   run every test (unit tests, notebooks with nbval, grading, browser)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test unit notebooks browser student bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile tests/ \
	    --nbval solutions/ --nbval-sanitize-with tests/sanitize.cfg \
	    notebooks/ -p no:cacheprovider

student: $(STAMP)
	$(BIN)/bplib student solutions/ notebooks/

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV)
