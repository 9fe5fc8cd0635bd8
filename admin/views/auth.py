"""Signing in and out: password, then TOTP (enrolled at the first sign-in), and the language."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import segno
from aiohttp import web

from admin.access import public, requires
from admin.cookies import LANGUAGE, SESSION, delete_cookie, set_cookie
from admin.flash import flash
from admin.i18n import LANGUAGES, as_language
from admin.metrics import METRICS
from admin.render import local_path, render, see_other
from admin.security import SANDBOX_CSP
from admin.sessions import remember_session, session_cookie
from admin.state import CORE, SETTINGS, viewer_of
from admin.viewer import Viewer
from storage import auth, sessions, totp

MAX_FIELD = 200


def _lifetime(request: web.Request) -> dt.timedelta:
    return dt.timedelta(minutes=request.app[SETTINGS].session_minutes)


def _next(request: web.Request, form: dict[str, str] | None = None) -> str:
    raw = (form or {}).get("next") or request.query.get("next")
    return local_path(raw, "/")


def _half(request: web.Request) -> Viewer:
    """The officer between password and second factor, or back to the password page."""
    viewer = viewer_of(request)
    if viewer is None or viewer.via_token:
        raise web.HTTPSeeOther("/login")
    if viewer.complete:
        raise web.HTTPSeeOther("/")
    return viewer


async def _form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {k: v[:MAX_FIELD] for k, v in data.items() if isinstance(v, str)}


@public
async def login_page(request: web.Request) -> web.StreamResponse:
    """GET /login: the password form (or on to the next step when already past it)."""
    viewer = viewer_of(request)
    if viewer is not None and viewer.complete:
        return see_other(_next(request))
    if viewer is not None:
        step = "/login/totp" if viewer.identity.totp_enabled else "/login/enrol"
        return see_other(step)
    expired = request.query.get("expired") == "1"
    return render(request, "auth/login.html", {"next": _next(request), "expired": expired})


@public
async def login_submit(request: web.Request) -> web.StreamResponse:
    """POST /login: check the password; on to the second factor or into the console."""
    form = await _form(request)
    target = _next(request, form)
    result = await auth.check_password(
        request.app[CORE], form.get("username", ""), form.get("password", "")
    )
    metrics = request.app[METRICS]
    if result.outcome != "ok" or result.officer_id is None:
        metrics.failed_logins.labels("password").inc()
        if result.outcome == "locked":
            metrics.lockouts.inc()
        context = {
            "next": target,
            "expired": False,
            "error": "auth.error.locked" if result.outcome == "locked" else "auth.error.bad",
            "locked_until": result.locked_until,
            "username": form.get("username", ""),
        }
        return render(request, "auth/login.html", context, status=401)
    complete = result.next_step == "none"
    token = await sessions.start_session(
        request.app[CORE], result.officer_id, complete=complete, lifetime=_lifetime(request)
    )
    if complete:
        metrics.logins.inc()
        response = see_other(target)
    else:
        step = "/login/totp" if result.next_step == "totp" else "/login/enrol"
        response = see_other(f"{step}?next={quote(target, safe='')}" if target != "/" else step)
    remember_session(request, response, token)
    return response


async def _finish(request: web.Request, target: str) -> web.StreamResponse:
    """Both factors done: a fresh session token (no fixation), then the wanted page."""
    old = session_cookie(request) or ""
    token = await sessions.upgrade_session(request.app[CORE], old, lifetime=_lifetime(request))
    if token is None:
        return see_other("/login")
    request.app[METRICS].logins.inc()
    response = see_other(target)
    remember_session(request, response, token)
    return response


async def _wrong_code(request: web.Request, officer_id: int) -> web.StreamResponse | None:
    """Count a wrong TOTP code; once it locks the account, end the half-signed-in session."""
    core = request.app[CORE]
    request.app[METRICS].failed_logins.labels("totp").inc()
    if not await totp.is_locked(core, officer_id):
        return None
    await sessions.end_session(core, session_cookie(request) or "")
    flash(request, "auth.error.locked_short", "error")
    return see_other("/login")


@public
async def totp_page(request: web.Request) -> web.StreamResponse:
    """GET /login/totp: ask for the 6-digit code."""
    viewer = _half(request)
    if not viewer.identity.totp_enabled:
        return see_other("/login/enrol")
    return render(request, "auth/totp.html", {"next": _next(request)})


@public
async def totp_submit(request: web.Request) -> web.StreamResponse:
    """POST /login/totp: check the code (each code works once)."""
    viewer = _half(request)
    form = await _form(request)
    target = _next(request, form)
    core = request.app[CORE]
    if await totp.verify_code(core, viewer.officer_id, form.get("code", "")):
        return await _finish(request, target)
    if (locked := await _wrong_code(request, viewer.officer_id)) is not None:
        return locked
    context = {"next": target, "error": "auth.error.code"}
    return render(request, "auth/totp.html", context, status=401)


@public
async def enrol_page(request: web.Request) -> web.StreamResponse:
    """GET /login/enrol: the new secret as text and QR code, and a code to confirm it."""
    viewer = _half(request)
    enrolment = await totp.enrolment(request.app[CORE], viewer.officer_id)
    if enrolment is None:
        return see_other("/login/totp")
    context = {"next": _next(request), "secret": enrolment.secret, "uri": enrolment.uri}
    return render(request, "auth/enrol.html", context)


@public
async def enrol_qr(request: web.Request) -> web.StreamResponse:
    """GET /login/enrol/qr.svg: the otpauth:// URI as an SVG QR code (never cached)."""
    viewer = _half(request)
    enrolment = await totp.enrolment(request.app[CORE], viewer.officer_id)
    if enrolment is None:
        raise web.HTTPNotFound()
    buffer = io.BytesIO()
    segno.make(enrolment.uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False)
    response = web.Response(body=buffer.getvalue(), content_type="image/svg+xml")
    response.headers["Content-Security-Policy"] = SANDBOX_CSP
    return response


@public
async def enrol_submit(request: web.Request) -> web.StreamResponse:
    """POST /login/enrol: the first code from the app turns TOTP on and signs in."""
    viewer = _half(request)
    form = await _form(request)
    target = _next(request, form)
    core = request.app[CORE]
    if await totp.confirm_enrolment(core, viewer.officer_id, form.get("code", "")):
        flash(request, "auth.flash.enrolled")
        return await _finish(request, target)
    if (locked := await _wrong_code(request, viewer.officer_id)) is not None:
        return locked
    enrolment = await totp.enrolment(core, viewer.officer_id)
    if enrolment is None:
        return see_other("/login")
    context = {
        "next": target,
        "secret": enrolment.secret,
        "uri": enrolment.uri,
        "error": "auth.error.code",
    }
    return render(request, "auth/enrol.html", context, status=401)


@requires()
async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: end the session."""
    await sessions.end_session(request.app[CORE], session_cookie(request) or "")
    response = see_other("/login")
    flash(request, "auth.flash.signed_out", "info")
    delete_cookie(request, response, SESSION)
    return response


@public
async def cancel_login(request: web.Request) -> web.StreamResponse:
    """POST /login/cancel: drop a half-finished sign-in."""
    await sessions.end_session(request.app[CORE], session_cookie(request) or "")
    return see_other("/login")


@public
async def language(request: web.Request) -> web.StreamResponse:
    """POST /language: switch between Vietnamese and English."""
    form = await _form(request)
    chosen = as_language(form.get("lang"))
    if form.get("lang") not in LANGUAGES:
        raise web.HTTPBadRequest(reason="unknown language")
    viewer = viewer_of(request)
    if viewer is not None:
        await sessions.set_language(request.app[CORE], viewer.officer_id, chosen)
    response = see_other(_next(request, form))
    set_cookie(request, response, LANGUAGE, chosen, max_age=365 * 86400)
    return response


def register(app: web.Application) -> None:
    """Routes of signing in and out."""
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_get("/login/totp", totp_page)
    app.router.add_post("/login/totp", totp_submit)
    app.router.add_get("/login/enrol", enrol_page)
    app.router.add_get("/login/enrol/qr.svg", enrol_qr)
    app.router.add_post("/login/enrol", enrol_submit)
    app.router.add_post("/login/cancel", cancel_login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/language", language)
