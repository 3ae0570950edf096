# The two commands of the README:  `make run`  (set up, start Neo4j, run the main job)  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup setup-test run test neo4j-start neo4j-stop bench

# Serving install: ONNX Runtime, no PyTorch or Spark (the main job needs neither).
$(BIN)/kgservice: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e .
	touch $@

# The tests also train (PyTorch, the `train` extra) and run the Spark job (the `spark` extra).
$(VENV)/.test-extras: $(BIN)/kgservice
	$(BIN)/pip install -q -e '.[dev,train,spark]'
	touch $@

setup: $(BIN)/kgservice
	$(BIN)/kgservice neo4j fetch

setup-test: setup $(VENV)/.test-extras

neo4j-start: setup
	$(BIN)/kgservice neo4j start

neo4j-stop:
	$(BIN)/kgservice neo4j stop

# The main job on the embedded default: load the taxonomy into the project's own Neo4j, build the
# trie and vector index from the graph with the shipped models, weigh related skills (from the
# shipped corpus skill sets), extract skills from a posting. The
# scorer's weights ship with the package (`kgservice models fit-scorer` refits them).
run: neo4j-start
	$(BIN)/kgservice load taxonomy
	$(BIN)/kgservice index build
	$(BIN)/kgservice graph related
	$(BIN)/kgservice extract examples/job_posting.txt --domain job

# pytest exits 5 when it collects nothing; that is not a failure of the suite.
test: setup-test neo4j-start
	$(BIN)/pytest || [ $$? -eq 5 ]

# Every benchmark of docs/benchmarks.md into bench/results/ (bash bench/all.sh NAME... for some).
bench: setup-test
	bash bench/all.sh
