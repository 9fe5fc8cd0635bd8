"""Officer accounts, for administrators: list, create, disable, reset password or 2FA, unlock,
tokens."""

from __future__ import annotations

from aiohttp import web

from admin import kit
from storage import accounts, officers, triage
from storage.models import ROLES


def _officer_id(request: web.Request) -> int:
    raw = request.match_info["officer_id"]
    if not raw.isdigit():
        raise web.HTTPNotFound()
    return int(raw)


async def _page(
    request: web.Request, *, error: str | None = None, form: dict[str, str] | None = None
) -> web.Response:
    viewer = kit.current(request)
    core = kit.core(request)
    rows = await accounts.list_accounts(core, viewer.identity)
    units = await triage.routable_units(core, viewer.identity)
    context = {
        "accounts": rows,
        "units": units,
        "roles": ROLES,
        "error": error,
        "form": form or {},
        "token": None,
        "self_id": viewer.officer_id,
    }
    return kit.render(request, "users/list.html", context, status=400 if error else 200)


def _problem(username: str, password: str, roles: list[str]) -> str | None:
    """The catalog id of what is wrong with a new account, if anything."""
    if not officers.USERNAME_PATTERN.match(username.strip().lower()):
        return "users.error.username"
    if len(password) < officers.MIN_PASSWORD_LENGTH:
        return "users.error.password"
    if not roles or set(roles) - set(ROLES):
        return "users.error.roles"
    return None


@kit.requires("admin")
async def users_page(request: web.Request) -> web.StreamResponse:
    """GET /users."""
    return await _page(request)


@kit.requires("admin")
async def create_user(request: web.Request) -> web.StreamResponse:
    """POST /users: a new officer (the initial password is given to them in person)."""
    viewer = kit.current(request)
    data = await request.post()
    form = {k: v for k, v in data.items() if isinstance(v, str) and k != "password"}
    roles = [r for r in data.getall("roles", []) if isinstance(r, str)]
    unit = form.get("unit_id", "")
    password = str(data.get("password", ""))
    problem = _problem(form.get("username", ""), password, roles)
    if problem:
        return await _page(request, error=problem, form=form)
    try:
        await accounts.create_account(
            kit.core(request),
            viewer.identity,
            username=form.get("username", ""),
            password=password,
            roles=roles,
            unit_id=int(unit) if unit.isdigit() else 0,
            display_name=form.get("display_name", "").strip()[:200],
        )
    except triage.NotFound:
        return await _page(request, error="users.error.unit", form=form)
    except officers.OfficerError:
        return await _page(request, error="users.error.taken", form=form)
    kit.flash(request, "users.flash.created")
    return kit.see_other("/users")


def _account_action(name: str, message: str) -> kit.Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        viewer = kit.current(request)
        core = kit.core(request)
        officer_id = _officer_id(request)
        try:
            if name == "disable":
                await accounts.disable_account(core, viewer.identity, officer_id)
            elif name == "reset-2fa":
                await accounts.reset_second_factor(core, viewer.identity, officer_id)
            elif name == "unlock":
                await accounts.unlock_account(core, viewer.identity, officer_id)
        except triage.NotFound:
            raise web.HTTPNotFound() from None
        except officers.OfficerError:
            kit.flash(request, "users.error.self", "error")
            return kit.see_other("/users")
        kit.flash(request, message)
        return kit.see_other("/users")

    handle.__name__ = handle.__qualname__ = f"user_{name.replace('-', '_')}"
    handle.__doc__ = f"POST /users/{{officer_id}}/{name}."
    return kit.requires("admin")(handle)


def _shown_once(request: web.Request, secret_id: str, secret: str, texts: str) -> web.Response:
    """A page with a secret the officer gets this once (`texts`: its catalog ids' prefix)."""
    context = {
        "secret_id": secret_id,
        "secret": secret,
        "title": f"{texts}.title",
        "explanation": f"{texts}.once",
    }
    return kit.render(request, "users/once.html", context)


@kit.requires("admin")
async def issue_token(request: web.Request) -> web.StreamResponse:
    """POST /users/{id}/token: a new API token, shown on this page once."""
    viewer = kit.current(request)
    form = await kit.form(request)
    try:
        token = await accounts.issue_token(
            kit.core(request), viewer.identity, _officer_id(request), form.get("label", "")
        )
    except triage.NotFound:
        raise web.HTTPNotFound() from None
    except officers.OfficerError:
        kit.flash(request, "users.error.disabled", "error")
        return kit.see_other("/users")
    return _shown_once(request, "api-token", token, "users.token")


@kit.requires("admin")
async def reset_password(request: web.Request) -> web.StreamResponse:
    """POST /users/{id}/reset-password: a one-time password, shown on this page once."""
    viewer = kit.current(request)
    try:
        temporary = await accounts.reset_password(
            kit.core(request), viewer.identity, _officer_id(request)
        )
    except triage.NotFound:
        raise web.HTTPNotFound() from None
    except officers.OfficerError:
        kit.flash(request, "users.error.reset_password", "error")
        return kit.see_other("/users")
    return _shown_once(request, "temporary-password", temporary, "users.password_reset")


def register(app: web.Application) -> None:
    """User management pages."""
    kit.add_nav(app, "/users", "nav.users", "admin", order=80)
    app.router.add_get("/users", users_page)
    app.router.add_post("/users", create_user)
    app.router.add_post(r"/users/{officer_id:\d+}/token", issue_token)
    app.router.add_post(r"/users/{officer_id:\d+}/reset-password", reset_password)
    for name, message in (
        ("disable", "users.flash.disabled"),
        ("reset-2fa", "users.flash.reset"),
        ("unlock", "users.flash.unlocked"),
    ):
        app.router.add_post(rf"/users/{{officer_id:\d+}}/{name}", _account_action(name, message))
