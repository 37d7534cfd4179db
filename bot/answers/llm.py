"""The `openai` generator: any OpenAI-compatible chat server through langchain-openai.

Passages are numbered and fenced as data; the model's markers are checked afterwards by the
chain. Any failure of the server (refused connection, HTTP error, timeout, a broken stream)
becomes `GeneratorUnavailableError`, which the chain answers with the extractive fallback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.answers.models import Draft, TokenSink
from bot.errors import GeneratorUnavailableError
from prompts import render_prompt
from vectorstore.records import SearchHit

logger = logging.getLogger(__name__)

NOT_FOUND = "NOT_IN_DOCUMENTS"


def _escape(text: str) -> str:
    """Passage text must not be able to close its own fence."""
    return text.replace("<passage", "‹passage").replace("</passage>", "‹/passage›")


def _attribute(text: str) -> str:
    """An attribute value cannot end early and add attributes (a title with a double quote)."""
    return _escape(text).replace('"', "“")


def format_passages(passages: list[SearchHit]) -> str:
    """Numbered, delimited passages with the metadata a careful answer mentions."""
    blocks = []
    for n, hit in enumerate(passages, start=1):
        attrs = f'n="{n}" title="{_attribute(hit.title)}"'
        if hit.source:
            attrs += f' source="{_attribute(hit.source)}"'
        if hit.published:
            attrs += f' published="{hit.published[:10]}"'
        blocks.append(f"<passage {attrs}>\n{_escape(hit.text)}\n</passage>")
    return "\n\n".join(blocks)


def make_chat_model(
    *, base_url: str | None, api_key: str | None, model: str, timeout_s: float
) -> Any:
    """langchain-openai's chat model, with retries off: a failure should fall back at once."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - a broken install
        raise GeneratorUnavailableError("langchain-openai is not installed: pip install briefbot") from exc
    return ChatOpenAI(
        model=model,
        base_url=base_url,
        api_key=api_key or "not-needed",  # local servers (vLLM, llama.cpp) ignore the key
        timeout=timeout_s,
        max_retries=0,
        temperature=0,
    )


@dataclass
class OpenAIGenerator:
    """Generates with the answer prompts; streams tokens when asked."""

    chat_model: Any
    name: str = "openai"

    def _messages(self, question: str, passages: list[SearchHit]) -> list[tuple[str, str]]:
        return [
            ("system", render_prompt("answer_system")),
            ("user", render_prompt("answer_user", passages=format_passages(passages), question=question)),
        ]

    def generate(
        self, question: str, passages: list[SearchHit], *, on_token: TokenSink | None = None
    ) -> Draft:
        messages = self._messages(question, passages)
        try:
            text = self._stream(messages, on_token) if on_token else self._invoke(messages)
        except GeneratorUnavailableError:
            raise
        except Exception as exc:
            raise GeneratorUnavailableError(f"LLM request failed: {exc.__class__.__name__}: {exc}") from exc
        text = text.strip()
        if not text or text.startswith(NOT_FOUND):
            return Draft("", grounded=False, generator=self.name)
        return Draft(text, grounded=True, generator=self.name)

    def _invoke(self, messages: list[tuple[str, str]]) -> str:
        return str(self.chat_model.invoke(messages).content)

    def _stream(self, messages: list[tuple[str, str]], on_token: TokenSink) -> str:
        """Stream tokens, holding back the start until it cannot be the not-found sentinel."""
        parts: list[str] = []
        released = False
        for chunk in self.chat_model.stream(messages):
            piece = str(chunk.content or "")
            if not piece:
                continue
            parts.append(piece)
            if released:
                on_token(piece)
                continue
            so_far = "".join(parts).lstrip()
            if so_far and not NOT_FOUND.startswith(so_far[: len(NOT_FOUND)]):
                released = True
                on_token(so_far)
        return "".join(parts)

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """A standalone question from the condense prompt; raises if the server fails."""
        lines = "\n".join(f"User: {asked}" for asked, _ in history)
        prompt = render_prompt("condense", history=lines, question=question)
        try:
            text = str(self.chat_model.invoke([("user", prompt)]).content).strip()
        except Exception as exc:
            raise GeneratorUnavailableError(f"LLM condense failed: {exc.__class__.__name__}") from exc
        return text.splitlines()[0].strip() if text else question
