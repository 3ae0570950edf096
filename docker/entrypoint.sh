#!/bin/sh
# The serving image's entry point (Dockerfile, docker-compose.yml, docs/docker.md):
#   init    load the taxonomy into Neo4j and build the trie, catalog, neighbour snapshot and vector index
#           into KG_HOME; skipped when KG_HOME already holds the artifacts of the taxonomy in the graph
#           (KG_INIT_FORCE=1 redoes both; both steps are idempotent)
#   serve   the GraphQL API, GraphiQL and the extraction page on 0.0.0.0:${KG_PORT:-8000} (needs KG_API__KEYS)
#   worker  the nearline worker on REDIS_URL's stream
#   other   any kgservice command, e.g. `counts`, `extract - --domain job`
set -eu

command="${1:-serve}"
[ "$#" -gt 0 ] && shift

# The version the graph records, when its trie and catalog are built here ("" otherwise, or when the
# graph holds no taxonomy yet); a Neo4j that does not answer is an error, as it should be for init.
built_version() {
  python - <<'PY'
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.settings import Settings

settings = Settings()
with Graph.connect(settings) as graph:
    version = artifacts.taxonomy_version(graph)
index = artifacts.vector_index_dir(settings, version) / "manifest.json"
print(version if version != "empty" and version in artifacts.built_versions(settings) and index.exists() else "")
PY
}

case "$command" in
  init)
    version="$(built_version)"
    if [ -n "$version" ] && [ "${KG_INIT_FORCE:-0}" != "1" ]; then
      echo "kgservice init: taxonomy $version is loaded and its artifacts are built; nothing to do (KG_INIT_FORCE=1 redoes it)"
      exit 0
    fi
    kgservice load taxonomy
    kgservice index build
    ;;
  serve)
    exec kgservice serve --host "${KG_HOST:-0.0.0.0}" --port "${KG_PORT:-8000}" "$@"
    ;;
  worker)
    exec kgservice worker "$@"
    ;;
  *)
    exec kgservice "$command" "$@"
    ;;
esac
