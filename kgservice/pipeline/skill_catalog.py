"""Id -> (preferred name, taxonomy, canonical twin) for every skill, saved beside the trie.

The scorer names skills without a database round trip; the catalog is built from the graph at
the same moment as the trie and vector index, so all three describe the same taxonomy version.

**One skill per concept.** A Lightcast skill whose ``SAME_AS`` twin is an ESCO skill records that
twin as its ``canonical`` id (the loader picks one twin per skill, ``Skill.canonical`` in the graph):
results name the ESCO skill and keep the Lightcast id as a cross-reference (:meth:`also_in`), so
"Swift (computer programming)" and "Swift (Programming Language)" are one result, not two.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kgservice.errors import ArtifactMissing


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    name: str
    taxonomy: str
    # The skill that stands for this one's concept in results (its ESCO twin), when not itself.
    canonical: str | None = None


class SkillCatalog:
    def __init__(self, entries: Mapping[str, CatalogEntry]) -> None:
        self._entries = dict(entries)
        twins: dict[str, list[str]] = {}
        for sid, entry in self._entries.items():
            if entry.canonical is not None and entry.canonical in self._entries:
                twins.setdefault(entry.canonical, []).append(sid)
        self._also_in = {sid: tuple(sorted(ids)) for sid, ids in twins.items()}

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str] | tuple[str, str, str, str | None]]) -> SkillCatalog:
        return cls({row[0]: CatalogEntry(*row[1:]) for row in rows})

    def canonical(self, skill_id: str, taxonomies: Collection[str] | None = None) -> str:
        """The id results use for ``skill_id``'s concept: its canonical twin when that twin's taxonomy
        is among ``taxonomies`` (all when None), else the skill itself."""
        entry = self._entries.get(skill_id)
        twin = entry.canonical if entry is not None else None
        if twin is None or twin not in self._entries:
            return skill_id
        if taxonomies is not None and self._entries[twin].taxonomy not in taxonomies:
            return skill_id
        return twin

    def also_in(self, skill_id: str) -> tuple[str, ...]:
        """Ids in other taxonomies whose concept ``skill_id`` stands for (cross-references)."""
        return self._also_in.get(skill_id, ())

    def __getitem__(self, skill_id: str) -> CatalogEntry:
        return self._entries[skill_id]

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self, taxonomies: Collection[str] | None = None) -> frozenset[str]:
        """The ids of every skill, or of the skills of ``taxonomies``."""
        return frozenset(sid for sid, e in self._entries.items() if taxonomies is None or e.taxonomy in taxonomies)

    def ids_by_name(self, taxonomy: str | None = None) -> dict[str, str]:
        return {e.name: sid for sid, e in self._entries.items() if taxonomy is None or e.taxonomy == taxonomy}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({sid: [e.name, e.taxonomy] + ([e.canonical] if e.canonical else [])
                                    for sid, e in self._entries.items()}))

    @classmethod
    def load(cls, path: Path) -> SkillCatalog:
        if not path.exists():
            raise ArtifactMissing(f"no skill catalog at {path}; build it with `kgservice index build`")
        data = json.loads(path.read_text())
        return cls({sid: CatalogEntry(*v[:3]) for sid, v in data.items()})
