from __future__ import annotations

import random

import pytest

from kgservice.loaders.taxonomy_records import Row
from kgservice.loaders.taxonomy_writer import canonical_twins, same_as_pairs


def esco(sid: str, name: str, *aliases: str) -> Row:
    return {"id": f"esco:{sid}", "taxonomy": "esco", "name": name, "aliases": list(aliases)}


def lightcast(sid: str, name: str) -> Row:
    return {"id": f"lightcast:{sid}", "taxonomy": "lightcast", "name": name, "aliases": []}


def links(left: list[Row], right: list[Row]) -> dict[tuple[str, str], str]:
    """(ESCO label, Lightcast label) -> rule."""
    names = {r["id"]: r["name"] for r in (*left, *right)}
    return {(names[p["source"]], names[p["target"]]): p["rule"] for p in same_as_pairs(left, right)}


# Aliases as ESCO v1.1.1 has them: each wrong link below came from one of them.
WRONG = [
    (esco("ios", "iOS", "Apple iOS", "IPad OS", "Mac OS X", "iPhone OS"), lightcast("mac", "Mac OS X")),
    (esco("fasten", "fasten components", "attach components", "connect components", "fix components"),
     lightcast("cc", "Connected Components")),
    (esco("elec", "electricity principles", "electric current", "principles of electricity", "voltage"),
     lightcast("volt", "Voltage")),
    (esco("furn", "medical furniture", "medical components", "medical equipment", "medical furnishings"),
     lightcast("equip", "Medical Equipment")),
    (esco("econ", "economics", "banking", "finances"), lightcast("bank", "Banking")),
    (esco("polish", "Polish"), lightcast("polishing", "Polishing")),
    (esco("canvas", "Canvas (learning management systems)"), lightcast("canva", "Canva (Software)")),
    (esco("salt", "Salt (tools for software configuration management)"), lightcast("salts", "Salts")),
    (esco("graphite", "graphite"), lightcast("graphite", "Graphite (Software)")),
    (esco("bas", "building automation"), lightcast("build", "Build Automation")),
    (esco("secreg", "security regulations"), lightcast("secreg", "Securities Regulation")),
    (esco("woodcuts", "wood cuts", "timber cuts"), lightcast("woodcut", "Woodcut")),
    (esco("rooms", "clean rooms", "cleaning rooms", "room cleaning"), lightcast("cleanrooms", "Cleanrooms")),
    (esco("surveying", "surveying", "surveys"), lightcast("surveys", "Surveys")),
    (esco("printing", "printing media", "print media"), lightcast("print", "Print Media")),
    (esco("ctl", "control systems", "system control"), lightcast("ctl", "System Control")),
    (esco("vfr", "visual flight rules", "instrument flight rules"), lightcast("ifr", "Instrument Flight Rules")),
    (esco("sap", "SAP R3", "SAP ERP", "SAP R/3"), lightcast("erp", "SAP ERP")),
]


@pytest.mark.parametrize(("left", "right"), WRONG, ids=[w[0]["name"] for w in WRONG])
def test_same_as_wrong_links_are_not_made(left: Row, right: Row) -> None:
    assert links([left], [right]) == {}


SAME = [
    (esco("swift", "Swift (computer programming)"), lightcast("swift", "Swift (Programming Language)"), "qualifier"),
    (esco("objc", "Objective-C", "Obj-C", "Objective C++"), lightcast("objc", "Objective-C (Programming Language)"),
     "qualifier"),
    (esco("js", "JavaScript", "Mocha"), lightcast("js", "JavaScript (Programming Language)"), "qualifier"),
    (esco("comm", "communication", "conversation", "interaction"), lightcast("comms", "Communications"), "variant"),
    (esco("filemaker", "Filemaker (database management systems)"), lightcast("fm", "Filemaker"), "qualifier"),
    (esco("bengali", "Bengali"), lightcast("bn", "Bengali (Language)"), "qualifier"),
    (esco("pl", "Polish"), lightcast("pl", "Polish Language"), "qualifier"),
    (esco("css", "CSS"), lightcast("css", "Cascading Style Sheets (CSS)"), "qualifier"),
    (esco("iot", "Internet of Things"), lightcast("iot", "Internet Of Things (IoT)"), "variant"),
    (esco("labour", "labour law", "labor law"), lightcast("labor", "Labor Law"), "variant"),
    (esco("paed", "paediatrics"), lightcast("ped", "Pediatrics"), "variant"),
    (esco("model", "3D modelling"), lightcast("model", "3D Modeling"), "variant"),
    (esco("sdlc", "systems development life-cycle"), lightcast("sdlc", "Systems Development Life Cycle"), "exact"),
    (esco("etcs", "European Train Control System"), lightcast("etcs", "European Train Control Systems"), "variant"),
    (esco("eo", "electrooptics"), lightcast("eo", "Electro-Optics"), "variant"),
    (esco("dams", "construct dams", "build dams", "dam construction"), lightcast("dams", "Dam Construction"), "alias"),
    (esco("lab", "perform laboratory tests", "laboratory testing"), lightcast("lab", "Laboratory Testing"), "alias"),
    (esco("swim", "swim", "swimming"), lightcast("swim", "Swimming"), "alias"),
    (esco("animals", "physiology of animals", "animal physiology"), lightcast("phys", "Animal Physiology"), "alias"),
    (esco("ldap", "LDAP", "Lightweight Directory Access Protocol"),
     lightcast("ldap", "Lightweight Directory Access Protocols"), "alias"),
    (esco("db2", "DB2", "IBM DB2"), lightcast("db2", "IBM DB2"), "alias"),
    (esco("geo", "geological mapping", "geologic mapping"), lightcast("geo", "Geologic Mapping"), "alias"),
    (esco("engr", "laser engraving methods", "laser engraving"), lightcast("engr", "Laser Engraving"), "alias"),
]


@pytest.mark.parametrize(("left", "right", "rule"), SAME, ids=[s[0]["name"] for s in SAME])
def test_same_as_true_twins_are_linked(left: Row, right: Row, rule: str) -> None:
    assert links([left], [right]) == {(left["name"], right["name"]): rule}


def test_same_as_one_sided_qualifier_needs_the_name_to_be_unambiguous() -> None:
    # Two Lightcast senses of "Logging": ESCO's bare "logging" cannot say which it is.
    left = [esco("log", "logging")]
    assert links(left, [lightcast("c", "Logging (Construction)"), lightcast("s", "Logging (Software)")]) == {}
    only = [lightcast("c", "Logging (Construction)")]
    assert links(left, only) == {("logging", "Logging (Construction)"): "qualifier"}


def test_same_as_alias_not_used_where_lightcast_keeps_both() -> None:
    left = [esco("mic", "microscopic techniques", "microscopy")]
    right = [lightcast("tech", "Microscopic Techniques"), lightcast("scopy", "Microscopy")]
    assert links(left, right) == {("microscopic techniques", "Microscopic Techniques"): "exact"}


def test_same_as_alias_shared_by_two_skills_is_not_used() -> None:
    left = [esco("a", "drawing techniques", "sketching"), esco("b", "illustration", "sketching")]
    assert links(left, [lightcast("s", "Sketching")]) == {}


def test_same_as_one_esco_twin_per_lightcast_skill() -> None:
    left = [esco("b", "communications"), esco("a", "communication")]
    pairs = same_as_pairs(left, [lightcast("c", "Communications")])
    assert [(p["source"], p["rule"]) for p in pairs] == [("esco:b", "exact")]


def test_canonical_twins_prefers_exact_then_qualifier_then_alias() -> None:
    pairs = [
        {"source": "esco:z", "target": "lightcast:1", "via": "alias", "rule": "alias"},
        {"source": "esco:y", "target": "lightcast:1", "via": "label", "rule": "qualifier"},
        {"source": "esco:x", "target": "lightcast:2", "via": "label", "rule": "qualifier"},
        {"source": "esco:w", "target": "lightcast:2", "via": "label", "rule": "exact"},
        {"source": "esco:v", "target": "lightcast:3", "via": "alias", "rule": "alias"},
        {"source": "esco:u", "target": "lightcast:3", "via": "alias", "rule": "alias"},
        {"source": "esco:t", "target": "lightcast:4", "via": "alias"},  # as the graph stores it: no rule
        {"source": "esco:s", "target": "lightcast:4", "via": "label"},
    ]
    expected = {"lightcast:1": "esco:y", "lightcast:2": "esco:w", "lightcast:3": "esco:u", "lightcast:4": "esco:s"}
    assert canonical_twins(pairs) == expected
    for seed in range(5):
        shuffled = pairs[:]
        random.Random(seed).shuffle(shuffled)
        assert canonical_twins(shuffled) == expected


def test_canonical_twins_of_same_as_pairs_cover_every_linked_lightcast_skill() -> None:
    left = [esco("py", "Python (computer programming)"), esco("comm", "communication"),
            esco("dams", "construct dams", "dam construction")]
    right = [lightcast("py", "Python (Programming Language)"), lightcast("comm", "Communications"),
             lightcast("dams", "Dam Construction"), lightcast("other", "Haskell (Programming Language)")]
    pairs = same_as_pairs(left, right)
    twins = canonical_twins(pairs)
    assert twins == {"lightcast:py": "esco:py", "lightcast:comm": "esco:comm", "lightcast:dams": "esco:dams"}
    assert len(twins) == len(pairs)
