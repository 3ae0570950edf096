from __future__ import annotations

import io

from kgservice.loaders.ojd_taxonomy import read_esco, read_lightcast
from kgservice.loaders.taxonomy_writer import same_as_pairs

ESCO = """id,description,hierarchy_levels,type
u1,Haskell,"[['K', 'K06', 'K061', 'K0613'], ['S', 'S5', 'S5.6', 'S5.6.1']]",preferredLabel
u1,Haskell programming,"[['K', 'K06', 'K061', 'K0613']]",altLabels
S5.6.1,using digital tools for collaboration and productivity,,level_3
u2,economics,"[['K', 'K03']]",preferredLabel
u2,banking,"[['K', 'K03']]",altLabels
u3,finance,"[['K', 'K04']]",preferredLabel
"""
LIGHTCAST = """id,description,hierarchy_levels,type
17.0,Information Technology,,category
17.0.474.0,Software Development,,subcategory
L1,Haskell (Programming Language),"[['17.0', '17.0.474.0']]",skill
L2,Banking,,skill
L3,Finance,,skill
L1,Haskell again,,skill
"""


def test_taxonomy_readers_esco_paths_groups_and_aliases() -> None:
    batch = read_esco(io.StringIO(ESCO), {"S5": "working with computers"}, taxonomy="esco")
    haskell = next(s for s in batch.skills if s["name"] == "Haskell")
    assert haskell["id"] == "esco:u1"
    assert haskell["aliases"] == ["Haskell programming"]
    assert haskell["type"] == "knowledge"
    groups = {g["id"]: g for g in batch.groups}
    assert groups["esco:K0613"]["level"] == 3
    assert groups["esco:K"]["name"] == "knowledge"
    assert groups["esco:S5"]["name"] == "working with computers"
    assert groups["esco:S5.6.1"]["name"] == "using digital tools for collaboration and productivity"
    assert {"skill": "esco:u1", "group": "esco:K0613"} in batch.skill_groups
    assert {"child": "esco:K061", "parent": "esco:K06"} in batch.group_broader
    assert not batch.problems


def test_taxonomy_readers_lightcast_duplicate_id_is_reported() -> None:
    batch = read_lightcast(io.StringIO(LIGHTCAST), {})
    assert [s["name"] for s in batch.skills] == ["Haskell (Programming Language)", "Banking", "Finance"]
    assert [(p.line, p.reason) for p in batch.problems] == [(7, "duplicate skill id L1")]
    assert {g["id"]: g["name"] for g in batch.groups} == {
        "lightcast:17.0": "Information Technology", "lightcast:17.0.474.0": "Software Development"}


def test_taxonomy_readers_same_as_prefers_labels_over_broad_aliases() -> None:
    esco = read_esco(io.StringIO(ESCO), {}).skills
    lightcast = read_lightcast(io.StringIO(LIGHTCAST), {}).skills
    pairs = {(p["source"], p["target"], p["via"]) for p in same_as_pairs(esco, lightcast)}
    assert ("esco:u1", "lightcast:L1", "label") in pairs  # qualifier "(Programming Language)" ignored
    assert ("esco:u3", "lightcast:L3", "label") in pairs
    # "banking" is an alias of economics only, but it names a narrower field, not economics again
    assert ("esco:u2", "lightcast:L2", "alias") not in pairs
    assert ("esco:u2", "lightcast:L3", "alias") not in pairs
