"""The checked-in SDL matches the schema the code builds.

``strawberry export-schema`` needs the ``strawberry-graphql[cli]`` extra; ``python -m kgservice.api.schema``
prints the same SDL (``schema.as_str()``) without it.
"""

from __future__ import annotations

import subprocess
import sys

from kgservice.api.schema import schema
from kgservice.package_data import data_path
from kgservice.settings import PROJECT_ROOT

SDL = data_path("schema", "kgservice.graphql")
EXPORT = [sys.executable, "-m", "kgservice.api.schema"]


def test_schema_export_is_current():
    exported = subprocess.run(EXPORT, capture_output=True, text=True, check=True, cwd=PROJECT_ROOT).stdout
    assert exported.strip() == schema.as_str().strip()
    assert SDL.read_text().strip() == exported.strip(), (
        "kgservice/schema/kgservice.graphql is stale; run: .venv/bin/python -m kgservice.api.schema > kgservice/schema/kgservice.graphql")


def test_schema_has_the_documented_operations():
    sdl = schema.as_str()
    for field in ("skill(", "searchSkills(", "extractSkills(", "expandSkills(", "entity(", "matchJobToProfile(",
                  "skillGap(", "topCandidates(", "topJobs(", "upsertDocument(", "recordFeedback(", "recordAssessment("):
        assert field in sdl
