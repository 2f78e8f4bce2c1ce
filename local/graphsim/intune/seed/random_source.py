"""One seeded source of randomness per tenant, so the same (seed, tenant) gives the same data."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")
_EPOCH = datetime(2022, 1, 3, 8, 0, tzinfo=UTC)


class Source:
    def __init__(self, seed: int, tenant_id: str) -> None:
        self.rng = random.Random(f"graphsim:{seed}:{tenant_id}")

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def stamp(self, after: str | None = None) -> str:
        """A timestamp in Graph's format, later than `after` when given."""
        start = datetime.strptime(after[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC) if after else _EPOCH
        moment = start + timedelta(seconds=self.rng.randint(3600, 3600 * 24 * 300))
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.rng.randint(0, 9999999):07d}Z"

    def pick(self, items: list[T] | tuple[T, ...]) -> T:
        return items[self.rng.randrange(len(items))]

    def sample(self, items: list[T] | tuple[T, ...], count: int) -> list[T]:
        return self.rng.sample(list(items), min(count, len(items)))

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def between(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def stamps(self) -> dict[str, Any]:
        created = self.stamp()
        return {"createdDateTime": created, "lastModifiedDateTime": self.stamp(created)}
