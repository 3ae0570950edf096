"""The official ESCO CSV bundle (as downloaded from the ESCO portal), pointed at by folder.

Reads ``skills_en.csv``, ``skillGroups_en.csv``, ``broaderRelationsSkillPillar_en.csv``,
``skillSkillRelations_en.csv``, ``occupations_en.csv`` and ``occupationSkillRelations_en.csv``.
Ids follow the ojd reader (``esco:<uuid>``, groups ``esco:<code>``), so a bundle loaded over the
wheel's ESCO updates the same nodes and adds descriptions, skill hierarchy and occupations.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from kgservice.loaders.taxonomy_records import RowProblem, TaxonomyBatch, dedupe, skill_id

FILES = ("skills_en.csv", "skillGroups_en.csv", "broaderRelationsSkillPillar_en.csv")
OPTIONAL_FILES = ("skillSkillRelations_en.csv", "occupations_en.csv", "occupationSkillRelations_en.csv")
SKILL_TYPES = {"skill/competence": "skill/competence", "knowledge": "knowledge", "": None}


def _tail(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _labels(raw: str | None) -> list[str]:
    # The bundle separates alternative labels with newlines inside one quoted field.
    return sorted({x.strip() for x in (raw or "").splitlines() if x.strip()})


def _read(folder: Path, name: str, batch: TaxonomyBatch, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    path = folder / name
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {missing}; found {reader.fieldnames}")
        for row in reader:
            line = reader.line_num
            if None in row or any(row.get(c) is None for c in required):
                batch.problems.append(RowProblem(name, line, "wrong number of fields"))
                continue
            yield line, row


def _group_code(uri: str, code: str) -> str:
    # ISCED-F knowledge groups carry bare field codes ("0613"); the wheel writes them as "K0613".
    if code and "/isced-f/" in uri:
        return "K" + code
    return code


def read_bundle(folder: Path, taxonomy: str = "esco", version: str = "bundle") -> TaxonomyBatch:
    folder = Path(folder)
    absent = [f for f in FILES if not (folder / f).exists()]
    if absent:
        raise FileNotFoundError(f"{folder} is not an ESCO CSV bundle: missing {', '.join(absent)}")
    batch = TaxonomyBatch(taxonomy=taxonomy, name="ESCO", version=version, source=str(folder))
    concept: dict[str, tuple[str, str]] = {}  # uri -> (kind, graph id)

    for line, row in _read(folder, "skills_en.csv", batch, ("conceptUri", "preferredLabel")):
        uri, label = row["conceptUri"].strip(), row["preferredLabel"].strip()
        if not uri or not label:
            batch.problems.append(RowProblem("skills_en.csv", line, "empty conceptUri or preferredLabel"))
            continue
        sid = skill_id(taxonomy, _tail(uri))
        concept[uri] = ("skill", sid)
        description = (row.get("description") or row.get("definition") or "").strip() or None
        batch.skills.append({"id": sid, "taxonomy": taxonomy, "sourceId": _tail(uri), "name": label,
                             "aliases": [a for a in _labels(row.get("altLabels")) if a != label],
                             "description": description, "type": SKILL_TYPES.get((row.get("skillType") or "").strip()),
                             "uri": uri})

    for line, row in _read(folder, "skillGroups_en.csv", batch, ("conceptUri", "preferredLabel")):
        uri, label = row["conceptUri"].strip(), row["preferredLabel"].strip()
        if not uri or not label:
            batch.problems.append(RowProblem("skillGroups_en.csv", line, "empty conceptUri or preferredLabel"))
            continue
        code = _group_code(uri, (row.get("code") or "").strip())
        gid = skill_id(taxonomy, code or _tail(uri))
        concept[uri] = ("group", gid)
        batch.groups.append({"id": gid, "taxonomy": taxonomy, "code": code or None, "name": label,
                             "level": None, "uri": uri})

    parents: dict[str, str] = {}
    for line, row in _read(folder, "broaderRelationsSkillPillar_en.csv", batch, ("conceptUri", "broaderUri")):
        child, parent = concept.get(row["conceptUri"].strip()), concept.get(row["broaderUri"].strip())
        if child is None or parent is None:
            batch.problems.append(RowProblem("broaderRelationsSkillPillar_en.csv", line,
                                             "broader relation names an unknown concept"))
            continue
        match child[0], parent[0]:
            case "skill", "skill":
                batch.skill_broader.append({"child": child[1], "parent": parent[1]})
            case "skill", "group":
                batch.skill_groups.append({"skill": child[1], "group": parent[1]})
            case "group", "group":
                batch.group_broader.append({"child": child[1], "parent": parent[1]})
                parents[child[1]] = parent[1]
            case _:
                batch.problems.append(RowProblem("broaderRelationsSkillPillar_en.csv", line,
                                                 "a group cannot be narrower than a skill"))
    for group in batch.groups:
        group["level"] = _depth(group["id"], parents)

    if (folder / "skillSkillRelations_en.csv").exists():
        for line, row in _read(folder, "skillSkillRelations_en.csv", batch,
                               ("originalSkillUri", "relationType", "relatedSkillUri")):
            a, b = concept.get(row["originalSkillUri"].strip()), concept.get(row["relatedSkillUri"].strip())
            if a is None or b is None or a[0] != "skill" or b[0] != "skill":
                batch.problems.append(RowProblem("skillSkillRelations_en.csv", line, "relation names an unknown skill"))
                continue
            batch.related.append({"source": a[1], "target": b[1], "type": row["relationType"].strip() or None})

    if (folder / "occupations_en.csv").exists():
        for line, row in _read(folder, "occupations_en.csv", batch, ("conceptUri", "preferredLabel")):
            uri, label = row["conceptUri"].strip(), row["preferredLabel"].strip()
            if not uri or not label:
                batch.problems.append(RowProblem("occupations_en.csv", line, "empty conceptUri or preferredLabel"))
                continue
            oid = skill_id(taxonomy, _tail(uri))
            concept[uri] = ("occupation", oid)
            batch.occupations.append({"id": oid, "taxonomy": taxonomy, "code": (row.get("code") or "").strip() or None,
                                      "name": label, "aliases": [a for a in _labels(row.get("altLabels")) if a != label],
                                      "description": (row.get("description") or "").strip() or None, "uri": uri})

    if (folder / "occupationSkillRelations_en.csv").exists():
        for line, row in _read(folder, "occupationSkillRelations_en.csv", batch,
                               ("occupationUri", "relationType", "skillUri")):
            occ, skill = concept.get(row["occupationUri"].strip()), concept.get(row["skillUri"].strip())
            relation = row["relationType"].strip().lower()
            if occ is None or skill is None or occ[0] != "occupation" or skill[0] != "skill":
                batch.problems.append(RowProblem("occupationSkillRelations_en.csv", line,
                                                 "relation names an unknown occupation or skill"))
                continue
            if relation not in ("essential", "optional"):
                batch.problems.append(RowProblem("occupationSkillRelations_en.csv", line,
                                                 f"relationType {relation!r} is neither essential nor optional"))
                continue
            batch.occupation_skills.append({"occupation": occ[1], "skill": skill[1], "relation": relation})

    batch.skills = dedupe(batch.skills, "id")
    batch.skill_groups = dedupe(batch.skill_groups, "skill", "group")
    return batch


def _depth(group: str, parents: dict[str, str]) -> int:
    depth, seen = 0, {group}
    while group in parents and parents[group] not in seen:
        group = parents[group]
        seen.add(group)
        depth += 1
    return depth
