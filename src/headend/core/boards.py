"""The shapes the kanban boards share (work orders in fulfillment, services in inventory): the
filters a board's query string gives, the choices its filters offer and its columns."""

from dataclasses import dataclass
from typing import Any

from headend.core.ids import parse_id

BOARD_RECENT_DAYS = 30  # completed and cancelled cards stay on a board this long
BOARD_COLUMN_LIMIT = 150  # cards drawn per column; the count says how many match


@dataclass(frozen=True)
class BoardFilters:
    """A board's filters as its query string gives them; an empty or malformed value filters nothing.

    `region` is a location's city: the region the provider's crews are organised by."""

    region: str = ""
    product_id: int = 0
    assignee_id: int = 0
    overdue: bool = False

    @classmethod
    def from_query(cls, params: Any) -> "BoardFilters":
        return cls(
            region=(params.get("region") or "").strip()[:100],
            product_id=parse_id(params.get("product")) if params.get("product") else 0,
            assignee_id=parse_id(params.get("assignee")) if params.get("assignee") else 0,
            overdue=params.get("overdue") in ("1", "on", "true"),
        )

    def query_pairs(self) -> list[tuple[str, str]]:
        """The filters in use as query-string pairs, to keep them in links and forms."""
        pairs = [
            ("region", self.region),
            ("product", str(self.product_id or "")),
            ("assignee", str(self.assignee_id or "")),
            ("overdue", "1" if self.overdue else ""),
        ]
        return [(name, value) for name, value in pairs if value]


@dataclass(frozen=True)
class BoardChoices:
    """What a board's filters offer: regions (cities), products and assignees as (id, name)."""

    regions: list[str]
    products: list[tuple[int, str]]
    assignees: list[tuple[int, str]]


@dataclass(frozen=True)
class BoardColumn:
    """One status of a board, its cards (at most BOARD_COLUMN_LIMIT) and how many match in all."""

    status: str
    label: str
    cards: tuple[Any, ...]
    total: int
    recent_only: bool = False  # a final status: only the last BOARD_RECENT_DAYS days

    @property
    def hidden(self) -> int:
        return self.total - len(self.cards)
