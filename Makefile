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

# Jupyter refuses root unless told; containers and Binder-like machines run as root.
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

# One pytest run: the library, grading and browser tests, and nbval on every
# notebook (solutions and student versions), outputs compared cell by cell.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -p no:cacheprovider tests/ \
	    --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
	    solutions/ notebooks/

student: $(STAMP)
	$(BIN)/bplib student solutions/ notebooks/

# Figures, not pass/fail: each script prints its ratios against its goal.
bench: $(STAMP)
	$(BIN)/python benchmarks/backprop.py
	$(BIN)/python benchmarks/widgets.py
	$(BIN)/python benchmarks/notebooks.py
	$(BIN)/python benchmarks/grading.py

clean:
	rm -rf $(VENV)
