"""The triage queue: tips of the officer's jurisdiction, filtered, sorted, paged, counted."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from admin import kit
from admin.pagination import Pager, page_from
from storage import triage
from storage.tips import CATEGORIES


def queue_filter(query: MultiMapping[str]) -> tuple[triage.QueueFilter, kit.Page]:
    """`?status=&category=&unit=&age=&priority=&sort=&page=` → a clean filter and page."""
    page = page_from(query)
    unit = query.get("unit", "")
    flt = triage.QueueFilter(
        status=query.get("status", "open"),
        category=query.get("category") or None,
        unit_id=int(unit) if unit.isdigit() else None,
        age=query.get("age") or None,
        priority=query.get("priority") or None,
        sort=query.get("sort", "newest"),
        offset=page.offset,
        limit=page.size,
    ).clean(CATEGORIES)
    return flt, page


def _params(flt: triage.QueueFilter, **changes: str) -> tuple[tuple[str, str], ...]:
    values = {
        "status": flt.status,
        "category": flt.category or "",
        "unit": str(flt.unit_id) if flt.unit_id else "",
        "age": flt.age or "",
        "priority": flt.priority or "",
        "sort": flt.sort,
    }
    values.update(changes)
    return tuple((k, v) for k, v in values.items() if v)


@kit.requires("triage")
async def queue(request: web.Request) -> web.StreamResponse:
    """GET /tips: the queue."""
    viewer = kit.current(request)
    core = kit.core(request)
    flt, page = queue_filter(request.query)
    result = await triage.list_queue(core, viewer.identity, flt)
    units = await triage.routable_units(core, viewer.identity)
    base_depth = viewer.unit_path.count("/")
    status_links = {
        status: "?" + urlencode(_params(flt, status=status)) for status in triage.STATUS_FILTERS
    }
    context = {
        "flt": flt,
        "page": result,
        "pager": Pager(page, result.total, _params(flt)),
        "status_links": status_links,
        "units": [(u, u.path.count("/") - base_depth) for u in units],
        "categories": CATEGORIES,
        "priorities": triage.PRIORITIES,
        "ages": tuple(triage.AGES),
        "sorts": triage.SORTS,
        "statuses": triage.STATUS_FILTERS,
    }
    return kit.render(request, "triage/queue.html", context)


def register(app: web.Application) -> None:
    """The queue page in the navigation, for triage officers."""
    kit.add_nav(app, "/tips", "nav.tips", "triage", order=10)
    app.router.add_get("/tips", queue)
