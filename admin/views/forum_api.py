"""`/api/v1/forum`: sessions and their moderation queue for bearer-token clients, and the
moderators' decisions (same use cases as the pages)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

from aiohttp import web

from admin import kit
from admin.views import forum_texts
from storage import forum_answers, forum_moderation, forum_queries
from storage.broadcast import BroadcastError
from storage.forum import ForumError, ForumNotFound, SessionInfo
from storage.forum_moderation import QueueItem
from storage.models import SIGNERS, TOPICS

P = kit.API_PREFIX
# Refusals that are the client's mistake (400); the others conflict with the state (409).
BAD_REQUEST = frozenset({"topic", "reason", "answer", "signer", "merge_target"})


async def _run(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except ForumNotFound:
        raise kit.ApiError(404, "no such session or question in your jurisdiction") from None
    except ForumError as exc:
        raise kit.ApiError(400 if exc.code in BAD_REQUEST else 409, str(exc)) from None
    except BroadcastError as exc:
        raise kit.ApiError(400, str(exc)) from None


def session_json(info: SessionInfo) -> dict[str, Any]:
    """A session as the API shows it."""
    return {
        "id": info.id,
        "unit": info.unit_code,
        "title": info.title,
        "description": info.description,
        "status": info.status,
        "opens_at": info.opens_at.isoformat(),
        "closes_at": info.closes_at.isoformat(),
        "publish_group_ids": list(info.publish_group_ids),
    }


def question_json(item: QueueItem) -> dict[str, Any]:
    """A question of the queue, with its answer."""
    answer = item.answer
    return {
        "id": str(item.id),
        "kind": item.kind,
        "status": item.status,
        "created_at": item.created_at.isoformat(),
        "text": item.text,
        "name": item.name,
        "votes": item.votes,
        "public": item.public,
        "topic": item.topic,
        "decline_reason": item.decline_reason,
        "merged_into": str(item.merged_into_id) if item.merged_into_id else None,
        "hidden_by": item.hidden_by,
        "reports": item.reports,
        "new_reports": item.new_reports,
        "answer": None
        if answer is None
        else {
            "text": answer.text,
            "signed_by": answer.signed_by,
            "published_at": answer.published_at.isoformat() if answer.published_at else None,
            "edits": answer.edits,
        },
    }


@kit.api_requires("moderator")
async def list_sessions(request: web.Request) -> web.Response:
    """GET /api/v1/forum/sessions."""
    rows = await forum_queries.list_sessions(kit.core(request), kit.current(request).identity)
    items = [
        {
            **session_json(row.info),
            "pending": row.pending,
            "awaiting_answer": row.awaiting_answer,
            "answered": row.answered,
            "reported": row.reported,
        }
        for row in rows
    ]
    return kit.json_ok({"items": items})


@kit.api_requires("moderator")
async def list_questions(request: web.Request) -> web.Response:
    """GET /api/v1/forum/sessions/{id}/questions: the queue, texts opened (audited)."""
    session_id = int(request.match_info["session_id"])
    items = await _run(
        forum_moderation.questions(kit.core(request), kit.current(request).identity, session_id)
    )
    return kit.json_ok({"items": [question_json(item) for item in items]})


def _qid(request: web.Request) -> uuid.UUID:
    return uuid.UUID(request.match_info["question_id"])


@kit.api_requires("moderator")
async def decide(request: web.Request) -> web.Response:
    """POST /api/v1/forum/questions/{id}/decision: approve, decline, merge or hide."""
    body = await kit.json_body(request)
    core, who, qid = kit.core(request), kit.current(request).identity, _qid(request)
    action = kit.field(body, "action", str)
    if action == "approve":
        public = kit.field(body, "public", bool, required=False)
        topic = kit.field(body, "topic", str, required=False)
        await _run(forum_moderation.approve(core, who, qid, public=public, topic=topic))
    elif action == "decline":
        reason = kit.field(body, "reason", str)
        await _run(forum_moderation.decline(core, who, qid, reason=reason))
    elif action == "merge":
        try:
            into = uuid.UUID(kit.field(body, "into", str))
        except ValueError:
            raise kit.ApiError(400, "'into' is not a question id") from None
        await _run(forum_moderation.merge(core, who, qid, into=into))
    elif action in ("hide", "restore"):
        call = forum_moderation.hide if action == "hide" else forum_moderation.restore
        await _run(call(core, who, qid))
    else:
        raise kit.ApiError(400, "action is approve, decline, merge, hide or restore")
    return kit.json_ok({"id": str(qid), "action": action})


@kit.api_requires("moderator")
async def answer(request: web.Request) -> web.Response:
    """POST /api/v1/forum/questions/{id}/answer: write or edit, and optionally publish."""
    body = await kit.json_body(request)
    core, who, qid = kit.core(request), kit.current(request).identity, _qid(request)
    text = kit.field(body, "text", str)
    signed_by = kit.field(body, "signed_by", str, required=False) or "police"
    publish = bool(kit.field(body, "publish", bool, required=False))
    changed = await _run(forum_answers.save_answer(core, who, qid, text=text, signed_by=signed_by))
    queued = 0
    if publish:
        queued = await _run(forum_answers.publish_answer(core, who, qid, render=forum_texts.answer))
    return kit.json_ok({"changed": changed, "published": publish, "group_deliveries": queued})


SESSION_SCHEMA = {
    "type": "object",
    "required": ["id", "unit", "title", "status", "opens_at", "closes_at"],
    "properties": {
        "id": {"type": "integer"},
        "unit": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "open", "closed"]},
        "opens_at": {"type": "string", "format": "date-time"},
        "closes_at": {"type": "string", "format": "date-time"},
        "publish_group_ids": {"type": "array", "items": {"type": "integer"}},
    },
}
QUESTION_SCHEMA = {
    "type": "object",
    "required": ["id", "kind", "status", "text", "votes"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "kind": {"type": "string", "enum": ["question", "opinion", "complaint"]},
        "status": {"type": "string"},
        "text": {"type": "string"},
        "name": {"type": ["string", "null"]},
        "votes": {"type": "integer"},
        "public": {"type": "boolean"},
        "topic": {"type": ["string", "null"]},
        "reports": {"type": "integer"},
        "answer": {"type": ["object", "null"]},
    },
}


def _document(app: web.Application) -> None:
    session_ref = kit.schema(app, "ForumSession", SESSION_SCHEMA)
    question_ref = kit.schema(app, "ForumQuestion", QUESTION_SCHEMA)
    qid_param = {"name": "question_id", "in": "path", "required": True,
                 "schema": {"type": "string", "format": "uuid"}}  # fmt: skip
    kit.document(app, f"{P}/forum/sessions", "get", {
        "summary": "Forum sessions of the officer's units, with their queue sizes",
        "responses": {
            "200": kit.json_response("the sessions", kit.items_of(session_ref)),
            **kit.error_responses(401, 403),
        },
    })  # fmt: skip
    kit.document(app, f"{P}/forum/sessions/{{session_id}}/questions", "get", {
        "summary": "The questions of a session, texts opened (an audited read)",
        "parameters": [{"name": "session_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "responses": {
            "200": kit.json_response("the questions", kit.items_of(question_ref)),
            **kit.error_responses(401, 403, 404),
        },
    })  # fmt: skip
    kit.document(app, f"{P}/forum/questions/{{question_id}}/decision", "post", {
        "summary": "Approve (optionally public, with a topic), decline with a reason, merge, "
                   "hide or restore a question",
        "parameters": [qid_param],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["action"],
            "properties": {
                "action": {"type": "string",
                           "enum": ["approve", "decline", "merge", "hide", "restore"]},
                "public": {"type": "boolean"},
                "topic": {"type": "string", "enum": list(TOPICS)},
                "reason": {"type": "string"},
                "into": {"type": "string", "format": "uuid"}}}}}},
        "responses": {
            "200": kit.json_response("done", {"type": "object"}),
            **kit.error_responses(400, 401, 403, 404, 409),
        },
    })  # fmt: skip
    kit.document(app, f"{P}/forum/questions/{{question_id}}/answer", "post", {
        "summary": "Write or edit the official answer (an edit keeps the earlier text in the "
                   "audit log); publish it to the groups, the asker and /forum",
        "parameters": [qid_param],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["text"],
            "properties": {"text": {"type": "string"},
                           "signed_by": {"type": "string", "enum": list(SIGNERS)},
                           "publish": {"type": "boolean"}}}}}},
        "responses": {
            "200": kit.json_response("done", {"type": "object"}),
            **kit.error_responses(400, 401, 403, 404, 409),
        },
    })  # fmt: skip


def register(app: web.Application) -> None:
    """Routes and OpenAPI description of the forum API."""
    question = (
        f"{P}/forum/questions/"
        "{question_id:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}}"
    )
    app.router.add_get(f"{P}/forum/sessions", list_sessions)
    app.router.add_get(f"{P}/forum/sessions/{{session_id:\\d{{1,9}}}}/questions", list_questions)
    app.router.add_post(f"{question}/decision", decide)
    app.router.add_post(f"{question}/answer", answer)
    _document(app)
