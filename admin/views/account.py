"""The officer's own account: change the password (other sessions end)."""

from __future__ import annotations

from aiohttp import web

from admin import kit
from admin.sessions import session_cookie
from storage import auth, officers


@kit.requires(before_password_change=True)
async def account_page(request: web.Request) -> web.StreamResponse:
    """GET /account."""
    return kit.render(request, "account.html", {"error": None})


@kit.requires(before_password_change=True)
async def change_password(request: web.Request) -> web.StreamResponse:
    """POST /account/password."""
    viewer = kit.current(request)
    form = await kit.form(request)
    new = form.get("new", "")
    if new != form.get("repeat", ""):
        return kit.render(request, "account.html", {"error": "account.error.repeat"}, status=400)
    try:
        changed = await auth.change_password(
            kit.core(request),
            viewer.officer_id,
            form.get("current", ""),
            new,
            keep_token=session_cookie(request) or "",
        )
    except officers.OfficerError:
        return kit.render(request, "account.html", {"error": "users.error.password"}, status=400)
    if not changed:
        return kit.render(request, "account.html", {"error": "account.error.current"}, status=400)
    kit.flash(request, "account.flash.changed")
    # The first password of their own: on to the console.
    return kit.see_other("/" if viewer.password_change_due else "/account")


def register(app: web.Application) -> None:
    """Routes of the account page (every signed-in officer)."""
    kit.add_nav(app, "/account", "nav.account", order=95)
    app.router.add_get("/account", account_page)
    app.router.add_post("/account/password", change_password)
