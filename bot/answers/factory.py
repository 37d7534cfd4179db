"""The one switch on `BRIEFBOT_LLM`: builds the generator and the chain around it."""

from __future__ import annotations

from bot.answers.chain import AnswerChain
from bot.answers.extractive import ExtractiveGenerator
from bot.answers.llm import OpenAIGenerator, make_chat_model
from bot.answers.models import Generator
from bot.sessions import SessionStore
from bot.settings import Settings
from vectorstore.embedder import Embedder
from vectorstore.hybrid import HybridSearcher
from vectorstore.store import ChromaStore


def make_generator(settings: Settings, embedder: Embedder) -> Generator:
    """The configured generator; `extractive` needs nothing beyond the embedder."""
    match settings.llm:
        case "extractive":
            return ExtractiveGenerator(embedder)
        case "openai":
            key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
            return OpenAIGenerator(
                make_chat_model(
                    base_url=settings.openai_base_url,
                    api_key=key,
                    model=settings.llm_model,
                    timeout_s=settings.llm_timeout_s,
                )
            )


def build_chain(
    settings: Settings,
    *,
    searcher: HybridSearcher,
    store: ChromaStore,
    embedder: Embedder,
    sessions: SessionStore,
) -> AnswerChain:
    generator = make_generator(settings, embedder)
    condenser = generator.condense if isinstance(generator, OpenAIGenerator) else None
    return AnswerChain(
        searcher=searcher,
        store=store,
        generator=generator,
        fallback=ExtractiveGenerator(embedder),
        sessions=sessions,
        top_k=settings.top_k,
        condenser=condenser,
    )
