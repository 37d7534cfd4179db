"""Settings from the environment (and an optional .env file), validated once at start-up.

Built only by entry points and tests, never at import time, so tests can construct their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = {"changeme", "change-me", "xoxb-your-token", "your-key", "secret", "todo"}


class Settings(BaseSettings):
    """Every setting listed in DESIGN.md and `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(Path("./data"), alias="BRIEFBOT_DATA_DIR")
    chroma_url: str | None = Field(None, alias="BRIEFBOT_CHROMA_URL")
    collection: str = Field("briefbot", alias="BRIEFBOT_COLLECTION", min_length=3, max_length=60)
    embedding_model: str | None = Field(None, alias="BRIEFBOT_EMBEDDING_MODEL")
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8", alias="BRIEFBOT_EMBEDDING_BACKEND"
    )
    chunk_tokens: int = Field(200, alias="BRIEFBOT_CHUNK_TOKENS", ge=32, le=512)
    llm: Literal["extractive", "openai"] = Field("extractive", alias="BRIEFBOT_LLM")
    llm_model: str = Field("gpt-4o-mini", alias="BRIEFBOT_LLM_MODEL")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    llm_timeout_s: float = Field(30.0, alias="BRIEFBOT_LLM_TIMEOUT_S", gt=0)
    top_k: int = Field(8, alias="BRIEFBOT_TOP_K", ge=1, le=50)
    api_keys: SecretStr | None = Field(None, alias="BRIEFBOT_API_KEYS")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    allow_private_urls: bool = Field(False, alias="BRIEFBOT_ALLOW_PRIVATE_URLS")
    max_document_mb: float = Field(25.0, alias="BRIEFBOT_MAX_DOCUMENT_MB", gt=0)
    log_level: str = Field("INFO", alias="BRIEFBOT_LOG_LEVEL")

    @field_validator("chroma_url", "openai_base_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "openai_api_key", "api_keys", "slack_bot_token", "slack_signing_secret", "slack_app_token",
        mode="before",
    )
    @classmethod
    def _reject_placeholders(cls, value: object) -> object:
        """An example value copied from .env.example must fail loudly, not authenticate."""
        if value in ("", None):
            return None
        if isinstance(value, str) and value.strip().lower() in _PLACEHOLDERS:
            raise ValueError("is still a placeholder value from .env.example: set a real secret")
        return value

    @property
    def max_document_bytes(self) -> int:
        return int(self.max_document_mb * 1024 * 1024)

    def api_key_list(self) -> list[str]:
        if self.api_keys is None:
            return []
        return [k.strip() for k in self.api_keys.get_secret_value().split(",") if k.strip()]
