"""What the forum sends to Telegram groups and subscribers, rendered in both languages.

The texts are Telegram HTML from the console's forum catalog (`forum.tg.*`); every value
in them (titles, questions, answers) is escaped by the catalog's formatter.
"""

from __future__ import annotations

from admin.i18n import LANGUAGES, translate
from storage.forum import SessionInfo, Texts
from storage.forum_answers import Published
from storage.quiet import VIETNAM

# What a group message quotes of a question, so that question and answer fit one message.
QUESTION_EXCERPT = 600


def _when(info: SessionInfo) -> dict[str, str]:
    fmt = "%H:%M %d/%m/%Y"
    return {
        "opens": info.opens_at.astimezone(VIETNAM).strftime(fmt),
        "closes": info.closes_at.astimezone(VIETNAM).strftime(fmt),
    }


def announcement(info: SessionInfo) -> Texts:
    """The opening announcement for the unit's groups and subscribers."""
    return {
        language: str(
            translate(
                language,
                "forum.tg.announce",
                title=info.title,
                police=info.police[language],
                description=info.description or "—",
                **_when(info),
            )
        )
        for language in LANGUAGES
    }


def _excerpt(text: str) -> str:
    if len(text) <= QUESTION_EXCERPT:
        return text
    return text[: QUESTION_EXCERPT - 1].rstrip() + "…"


def answer(published: Published) -> Texts:
    """A published question and its official answer, for the session's groups."""
    info = published.session
    return {
        language: str(
            translate(
                language,
                "forum.tg.answer",
                title=info.title,
                kind=translate(language, f"forum.kind.{published.kind}"),
                asker=published.name or translate(language, "forum.anonymous"),
                question=_excerpt(published.question),
                signer=info.signer(published.signed_by, language),
                answer=published.answer,
            )
        )
        for language in LANGUAGES
    }
