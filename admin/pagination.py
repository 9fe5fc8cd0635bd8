"""Page numbers from the query string, and the links between pages."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from urllib.parse import urlencode

from multidict import MultiMapping

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page:
    """Which slice of a list to show: 1-based `number`, `size` items per page."""

    number: int
    size: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.number - 1) * self.size


def page_from(query: MultiMapping[str], *, default_size: int = DEFAULT_PER_PAGE) -> Page:
    """`?page=3&per_page=50` → Page(3, 50), clamped to sane values."""

    def number(name: str, default: int) -> int:
        try:
            return int(query.get(name, default))
        except ValueError:
            return default

    return Page(
        number=max(1, min(number("page", 1), 100_000)),
        size=max(1, min(number("per_page", default_size), MAX_PER_PAGE)),
    )


@dataclass(frozen=True)
class Pager:
    """What a template needs to draw "‹ 1 … 4 5 6 … 20 ›" for `total` items."""

    page: Page
    total: int
    base_query: tuple[tuple[str, str], ...] = ()

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, ceil(self.total / self.page.size))

    @property
    def first_item(self) -> int:
        """1-based number of the first item shown (0 when none)."""
        return min(self.total, self.page.offset + 1)

    @property
    def last_item(self) -> int:
        """1-based number of the last item shown."""
        return min(self.total, self.page.offset + self.page.size)

    def url(self, number: int) -> str:
        """The query string of page `number`, keeping the other parameters."""
        params = [(k, v) for k, v in self.base_query if k != "page"]
        params.append(("page", str(number)))
        return "?" + urlencode(params)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link, with None where numbers are left out."""
        current, last = self.page.number, self.pages
        keep = sorted(
            {1, last} | set(range(max(1, current - around), min(last, current + around) + 1))
        )
        shown: list[int | None] = []
        for number in keep:
            if shown and shown[-1] is not None and number - shown[-1] > 1:
                shown.append(None)
            shown.append(number)
        return shown
