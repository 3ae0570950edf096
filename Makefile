# The two commands of the README:  `make run`  (set up, start Neo4j, load the taxonomy)  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev

.PHONY: setup run test neo4j-start neo4j-stop bench

$(BIN)/kgservice: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[$(EXTRAS)]'
	touch $@

setup: $(BIN)/kgservice
	$(BIN)/kgservice neo4j fetch

neo4j-start: setup
	$(BIN)/kgservice neo4j start

neo4j-stop:
	$(BIN)/kgservice neo4j stop

run: neo4j-start
	$(BIN)/kgservice load taxonomy

# pytest exits 5 when it collects nothing; that is not a failure of the suite.
test: neo4j-start
	$(BIN)/pytest || [ $$? -eq 5 ]
