"""Block Kit for answers: pure functions from an `Answer` to blocks plus fallback text.

Everything that came from a document, the answer included, is escaped (`&`, `<`, `>`) and sent
with `verbatim` text objects, so no document can make the bot post `<!channel>`, `<!here>`, a
user mention or a disguised link. Slack's limits are respected here, in one place: at most
3,000 characters per section text and 50 blocks per message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.answers.models import Answer, Citation

SECTION_LIMIT = 3000
BLOCK_LIMIT = 50
TITLE_LIMIT = 250
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
SEARCHING = "Searching the documents…"
APOLOGY = (
    "Sorry, I couldn't answer that just now: something went wrong on my side. "
    "Please try again in a moment."
)
THANKS = "Thanks for the feedback: it helps us improve the answers."
TRUNCATED = "… (answer shortened to fit in Slack)"
HELP = (
    "*briefbot* answers questions about the trade and news documents it has read, "
    "with numbered sources.\n"
    "• `/brief What is the new tariff rate on hot-rolled coil?` asks in this channel.\n"
    "• Mention me in a channel (`@briefbot …`) and I answer in a thread; reply in that thread "
    "for follow-ups (“and on rebar?”).\n"
    "• Send me a direct message to ask privately.\n"
    "• Rate an answer with 👍 or 👎 so we can improve it."
)
Block = dict[str, Any]

_BROADCASTS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage / chat.update / response_url take: fallback text and blocks."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


@dataclass(frozen=True)
class FeedbackRef:
    """Which turn a 👍/👎 button rates; carried in the button's value."""

    session_id: str
    turn: int

    def to_value(self) -> str:
        return json.dumps({"session_id": self.session_id, "turn": self.turn}, separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str) -> FeedbackRef:
        """Parse a button value; ValueError when it is not one of ours."""
        try:
            data = json.loads(value)
            session_id, turn = data["session_id"], data["turn"]
        except (json.JSONDecodeError, TypeError, KeyError) as exc:
            raise ValueError("not a feedback value") from exc
        if not isinstance(session_id, str) or not isinstance(turn, int) or turn < 1:
            raise ValueError("not a feedback value")
        return cls(session_id, turn)


def escape(text: str) -> str:
    """Slack's escaping of control characters, plus a word joiner that defuses `@here`-style words."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCASTS.sub(lambda m: "@\u2060" + m.group(1), escaped)


def mrkdwn(text: str) -> Block:
    """A mrkdwn text object that Slack shows as given (no auto-linking, no mention parsing)."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at the gentlest boundary found."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    window = text[:limit]
    for separator in ("\n\n", "\n", ". ", " "):
        index = window.rfind(separator)
        if index > limit // 2:
            return index + len(separator)
    entity = window.rfind("&", limit - 6)  # never split "&amp;" and friends
    return entity if entity > 0 and ";" not in window[entity:] else limit


def source_line(citation: Citation) -> str:
    """`[n] <url|title> — outlet, date`; the plain title when there is no usable URL."""
    title = citation.title.strip() or "Untitled"
    if len(title) > TITLE_LIMIT:
        title = title[: TITLE_LIMIT - 1].rstrip() + "…"
    url = _safe_url(citation.url)
    label = f"<{url}|{escape(title)}>" if url else escape(title)
    details = [p for p in (citation.source, (citation.published or "")[:10] or None) if p]
    suffix = " — " + escape(", ".join(details)) if details else ""
    return f"[{citation.n}] {label}{suffix}"


def _safe_url(url: str | None) -> str | None:
    """Only plain http(s) links; characters that would end Slack's `<url|text>` are encoded."""
    if not url or not re.match(r"^https?://\S+$", url, re.IGNORECASE) or len(url) > 2000:
        return None
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def format_answer(answer: Answer, *, turn: int, asked_by: str | None = None,
                  question: str | None = None) -> SlackMessage:
    """The answer, its sources and 👍/👎 buttons; ``asked_by``/``question`` head a /brief reply."""
    head = [_question_context(asked_by, question)] if question else []
    budget = BLOCK_LIMIT - len(head) - 1 - (1 if answer.citations else 0)
    body = [section(t) for t in _answer_sections(answer.answer, budget)]
    blocks = head + body
    if answer.citations:
        blocks += [section(t) for t in _source_sections(answer.citations, BLOCK_LIMIT - len(blocks) - 1)]
    blocks.append(_feedback_actions(FeedbackRef(answer.session_id, turn)))
    return SlackMessage(_fallback(answer.answer), blocks)


def _answer_sections(text: str, budget: int) -> list[str]:
    pieces = split_text(escape(text)) or ["(no answer)"]
    if len(pieces) <= budget:
        return pieces
    kept = pieces[:budget]
    room = SECTION_LIMIT - len(TRUNCATED) - 1
    kept[-1] = (split_text(kept[-1], room)[0] if len(kept[-1]) > room else kept[-1]) + " " + TRUNCATED
    return kept


def _source_sections(citations: list[Citation], budget: int) -> list[str]:
    """Sources packed into sections; past the block budget the rest become "and N more"."""
    lines = [source_line(c) for c in citations]
    sections: list[str] = []
    current = "*Sources*"
    for index, line in enumerate(lines):
        if len(current) + 1 + len(line) <= SECTION_LIMIT:
            current += "\n" + line
            continue
        if len(sections) + 1 >= budget:
            return [*sections, _with_more(current, len(lines) - index)]
        sections.append(current)
        current = line
    return [*sections, current]


def _with_more(text: str, remaining: int) -> str:
    lines = text.split("\n")
    while len(lines) > 1 and len("\n".join(lines)) + len(f"\nand {remaining} more") > SECTION_LIMIT:
        lines.pop()
        remaining += 1
    return "\n".join(lines) + f"\nand {remaining} more"


def _question_context(asked_by: str | None, question: str | None) -> Block:
    who = f"<@{asked_by}>" if asked_by and _USER_ID.match(asked_by) else "Someone"
    quoted = escape(" ".join((question or "").split())[:1000])
    return {"type": "context", "elements": [mrkdwn(f"{who} asked: {quoted}")]}


def _feedback_actions(ref: FeedbackRef) -> Block:
    value = ref.to_value()
    return {
        "type": "actions",
        "block_id": "briefbot_feedback",
        "elements": [
            _button("👍 Helpful", FEEDBACK_UP, value),
            _button("👎 Not helpful", FEEDBACK_DOWN, value),
        ],
    }


def _button(label: str, action_id: str, value: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value,
    }


def _fallback(text: str) -> str:
    """The notification text: the escaped answer, cut to a sensible length."""
    pieces = split_text(escape(text), SECTION_LIMIT)
    return pieces[0] if pieces else "(no answer)"


def format_searching(*, asked_by: str | None = None, question: str | None = None) -> SlackMessage:
    """The placeholder posted at once, replaced by the answer with chat.update."""
    blocks = [_question_context(asked_by, question)] if question else []
    blocks.append({"type": "context", "elements": [mrkdwn(f":mag: {SEARCHING}")]})
    return SlackMessage(SEARCHING, blocks)


def format_text(text: str) -> SlackMessage:
    """A short message of our own (help, apology, thanks) as one section."""
    return SlackMessage(text, [section(text)])


def format_apology() -> SlackMessage:
    return format_text(APOLOGY)


def format_help() -> SlackMessage:
    return format_text(HELP)
