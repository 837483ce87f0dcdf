# Two commands do the whole set-up on a fresh machine:
#   make lab    open the workbook in JupyterLab (the student's environment, .venv/)
#   make test   run every test (.venv-dev/: the instructor's tools and the tests too)
PYTHON ?= python3
LAB    := .venv
DEV    := .venv-dev

.PHONY: lab test unit lint notebooks browser student bench clean

# The student's environment: the library and JupyterLab, nothing else.
$(LAB)/.installed: pyproject.toml
	test -x $(LAB)/bin/python || $(PYTHON) -m venv $(LAB)
	$(LAB)/bin/python -m pip install --quiet --upgrade pip
	$(LAB)/bin/python -m pip install --quiet -e ".[lab]"
	touch $@

$(DEV)/.installed: pyproject.toml
	test -x $(DEV)/bin/python || $(PYTHON) -m venv $(DEV)
	$(DEV)/bin/python -m pip install --quiet --upgrade pip
	$(DEV)/bin/python -m pip install --quiet -e ".[test]"
	touch $@

# Jupyter refuses root unless told; containers and Binder-like machines run as root.
lab: $(LAB)/.installed
	$(LAB)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

# The linter, then one pytest run: the library, course, instructor and browser
# tests, and nbval on every notebook (solutions and student versions).
test: $(DEV)/.installed lint
	$(DEV)/bin/python -m pytest -n 2 --dist loadfile -p no:cacheprovider tests/ \
	    --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
	    solutions/ notebooks/

# The fast tests, in under a minute: library and course, no kernels, no browser.
unit: $(DEV)/.installed
	$(DEV)/bin/python -m pytest -n 2 -p no:cacheprovider -m "not slow" tests/library tests/course

lint: $(DEV)/.installed
	$(DEV)/bin/ruff check .

student: $(DEV)/.installed
	$(DEV)/bin/bplib student solutions/ notebooks/

# Figures, not pass/fail: each script prints its ratios against its goal.
bench: $(DEV)/.installed
	$(DEV)/bin/python benchmarks/backprop.py
	$(DEV)/bin/python benchmarks/widgets.py
	$(DEV)/bin/python benchmarks/notebooks.py
	$(DEV)/bin/python benchmarks/grading.py

clean:
	rm -rf $(LAB) $(DEV)
