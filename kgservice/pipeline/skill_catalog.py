"""Id -> (preferred name, taxonomy) for every skill, saved beside the trie.

The scorer names skills without a database round trip; the catalog is built from the graph at
the same moment as the trie and vector index, so all three describe the same taxonomy version.
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


class SkillCatalog:
    def __init__(self, entries: Mapping[str, CatalogEntry]) -> None:
        self._entries = dict(entries)

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str]]) -> SkillCatalog:
        return cls({sid: CatalogEntry(name, taxonomy) for sid, name, taxonomy in rows})

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
        path.write_text(json.dumps({sid: [e.name, e.taxonomy] for sid, e in self._entries.items()}))

    @classmethod
    def load(cls, path: Path) -> SkillCatalog:
        if not path.exists():
            raise ArtifactMissing(f"no skill catalog at {path}; build it with `kgservice index build`")
        data = json.loads(path.read_text())
        return cls({sid: CatalogEntry(v[0], v[1]) for sid, v in data.items()})
