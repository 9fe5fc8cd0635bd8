"""Rules without a database: the state machine, lockout back-off, TOTP steps, paging, routes."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from aiohttp import web
from multidict import MultiDict

from admin.app import create_app
from admin.pagination import Pager, page_from
from admin.render import local_path
from admin.settings import ConsoleSettings
from storage.auth import lock_duration
from storage.totp import matching_step
from storage.triage import TRANSITIONS, TriageError, check_transition, is_overdue


def test_the_state_machine_moves_forward_and_reopens() -> None:
    check_transition("new", "triaged", None)
    check_transition("investigating", "closed", "actioned")
    check_transition("closed", "triaged", None)
    for current, target, outcome in (
        ("investigating", "new", None),
        ("new", "closed", None),
        ("new", "closed", "solved"),
        ("new", "triaged", "actioned"),
        ("new", "archived", None),
        ("closed", "closed", "spam"),
    ):
        with pytest.raises(TriageError):
            check_transition(current, target, outcome)
    assert all("closed" in TRANSITIONS[s] for s in ("new", "triaged", "assigned", "investigating"))


def test_the_24_hour_flag() -> None:
    now = dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)
    day = dt.timedelta(hours=24)
    assert is_overdue("new", None, now - day, now)
    assert not is_overdue("new", None, now - day + dt.timedelta(minutes=1), now)
    assert not is_overdue("new", now, now - 2 * day, now)
    assert not is_overdue("closed", None, now - 2 * day, now)


def test_lockout_back_off_doubles_and_is_capped() -> None:
    assert lock_duration(4) == dt.timedelta(0)
    assert [lock_duration(n).total_seconds() for n in (5, 6, 7, 8)] == [60, 120, 240, 480]
    assert lock_duration(100) == dt.timedelta(hours=24)


def test_a_totp_code_is_accepted_once_per_step() -> None:
    secret = pyotp.random_base32()
    now = 1_800_000_000.0
    step = int(now) // 30
    code = pyotp.TOTP(secret).at(step * 30)
    assert matching_step(secret, code, now, None) == step
    assert matching_step(secret, f"{code[:3]} {code[3:]}", now, None) == step
    assert matching_step(secret, code, now, step) is None  # replay
    assert matching_step(secret, pyotp.TOTP(secret).at((step - 1) * 30), now, None) == step - 1
    assert matching_step(secret, pyotp.TOTP(secret).at((step - 3) * 30), now, None) is None
    assert matching_step(secret, "12345", now, None) is None


def test_paging_from_the_query_string() -> None:
    page = page_from(MultiDict({"page": "3", "per_page": "500"}))
    assert (page.number, page.size, page.offset) == (3, 100, 200)
    assert page_from(MultiDict({"page": "x"})).number == 1
    pager = Pager(page_from(MultiDict({"page": "10"})), 1000, (("status", "new"),))
    assert pager.pages == 40
    assert pager.window() == [1, None, 8, 9, 10, 11, 12, None, 40]
    assert pager.url(11) == "?status=new&page=11"
    assert (pager.first_item, pager.last_item) == (226, 250)


def test_only_local_paths_are_redirect_targets() -> None:
    assert local_path("/tips?status=new") == "/tips?status=new"
    for bad in ("//evil.example", "https://evil.example", "/\\evil", "", None, "/a\r\nSet-Cookie:"):
        assert local_path(bad) == "/"


def test_a_route_without_an_access_rule_stops_the_console() -> None:
    import admin.app as app_module

    async def naked(request: web.Request) -> web.Response:
        return web.Response(text="open to all")

    def register(app: web.Application) -> None:
        app.router.add_get("/naked", naked)

    original = app_module.FEATURES
    module = type("M", (), {"register": staticmethod(register)})
    import sys

    sys.modules["tests_naked_feature"] = module  # type: ignore[assignment]
    app_module.FEATURES = (*original, "tests_naked_feature")
    try:
        with pytest.raises(RuntimeError, match="no access rule"):
            create_app(None, ConsoleSettings())  # type: ignore[arg-type]
    finally:
        app_module.FEATURES = original
        del sys.modules["tests_naked_feature"]
