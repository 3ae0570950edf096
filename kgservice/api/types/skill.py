"""Skill and SkillGroup. Neighbours resolve through the request's DataLoaders (batched, cached)."""

from __future__ import annotations

from typing import Any

import strawberry

from kgservice.api.context import Context
from kgservice.api.limits import check_first

DEFAULT_NEIGHBOURS = 25


@strawberry.type(description="A group in a taxonomy's hierarchy (ESCO pillar or group, Lightcast category).")
class SkillGroup:
    id: strawberry.ID
    code: str | None
    name: str | None
    level: int | None
    taxonomy: str | None

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> SkillGroup:
        level = r.get("level")
        return cls(id=strawberry.ID(r["id"]), code=r.get("code"), name=r.get("name"),
                   level=int(level) if level is not None else None, taxonomy=r.get("taxonomy"))


@strawberry.type(description="A skill of the taxonomy (ESCO or Lightcast).")
class Skill:
    id: strawberry.ID
    name: str
    taxonomy: str
    record: strawberry.Private[dict[str, Any] | None] = None

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Skill:
        full = r if "aliases" in r else None
        return cls(id=strawberry.ID(r["id"]), name=r["name"], taxonomy=r["taxonomy"], record=full)

    async def _full(self, info: strawberry.Info[Context]) -> dict[str, Any]:
        if self.record is None:
            self.record = await info.context.loaders.skill.load(str(self.id)) or {}
        return self.record

    @strawberry.field(description="Alternative labels.")
    async def aliases(self, info: strawberry.Info[Context]) -> list[str]:
        return list((await self._full(info)).get("aliases") or [])

    @strawberry.field
    async def description(self, info: strawberry.Info[Context]) -> str | None:
        return (await self._full(info)).get("description")

    @strawberry.field(name="type", description="ESCO skill type, or 'skill' for Lightcast.")
    async def skill_type(self, info: strawberry.Info[Context]) -> str | None:
        return (await self._full(info)).get("type")

    @strawberry.field
    async def uri(self, info: strawberry.Info[Context]) -> str | None:
        return (await self._full(info)).get("uri")

    async def _neighbours(self, info: strawberry.Info[Context], relation: str, first: int) -> list[Skill]:
        check_first(first)
        loaders = info.context.loaders
        rows = (await loaders.neighbours.load(str(self.id))).get(relation, [])
        for r in rows:
            loaders.skill.prime(r["id"], r)
        return [Skill.from_record(r) for r in rows[:first]]

    @strawberry.field(description="Broader skills (BROADER).")
    async def parents(self, info: strawberry.Info[Context], first: int = DEFAULT_NEIGHBOURS) -> list[Skill]:
        return await self._neighbours(info, "parent", first)

    @strawberry.field(description="Narrower skills.")
    async def children(self, info: strawberry.Info[Context], first: int = DEFAULT_NEIGHBOURS) -> list[Skill]:
        return await self._neighbours(info, "child", first)

    @strawberry.field(description="Skills sharing a broader skill.")
    async def siblings(self, info: strawberry.Info[Context], first: int = DEFAULT_NEIGHBOURS) -> list[Skill]:
        return await self._neighbours(info, "sibling", first)

    @strawberry.field(description="Related skills (ESCO skill-skill relations).")
    async def related(self, info: strawberry.Info[Context], first: int = DEFAULT_NEIGHBOURS) -> list[Skill]:
        return await self._neighbours(info, "related", first)

    @strawberry.field(description="The same skill in another taxonomy (SAME_AS).")
    async def same_as(self, info: strawberry.Info[Context], first: int = DEFAULT_NEIGHBOURS) -> list[Skill]:
        return await self._neighbours(info, "same_as", first)

    @strawberry.field(description="The most specific group the skill belongs to.")
    async def group(self, info: strawberry.Info[Context]) -> SkillGroup | None:
        groups = await info.context.loaders.groups.load(str(self.id))
        return SkillGroup.from_record(groups[0]) if groups else None

    @strawberry.field(description="All groups of the skill, most specific first.")
    async def groups(self, info: strawberry.Info[Context]) -> list[SkillGroup]:
        return [SkillGroup.from_record(g) for g in await info.context.loaders.groups.load(str(self.id))]

    @strawberry.field(description="Path of the most specific group, from the top group down to it.")
    async def group_path(self, info: strawberry.Info[Context]) -> list[SkillGroup]:
        groups = await info.context.loaders.groups.load(str(self.id))
        return [SkillGroup.from_record(g) for g in groups[0]["path"]] if groups else []
