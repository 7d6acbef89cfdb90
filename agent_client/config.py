"""Settings from the environment and `.env`: which LLM endpoint, which model, or offline."""

from __future__ import annotations

import os
from dataclasses import dataclass

from dotenv import load_dotenv

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_MODEL = "openai/gpt-5-mini"
OFFLINE = "offline"


@dataclass(frozen=True)
class Settings:
    api_key: str | None
    base_url: str
    model: str  # "offline" or a model id for the endpoint

    @property
    def offline(self) -> bool:
        return self.model == OFFLINE


def load_settings(model: str | None = None) -> Settings:
    """`model` from the command line wins; without an API key the run is offline."""
    load_dotenv(override=False)
    api_key = os.environ.get("OPENROUTER_API_KEY") or None
    base_url = os.environ.get("OPENROUTER_BASE_URL") or DEFAULT_BASE_URL
    chosen = model or (os.environ.get("OPENROUTER_MODEL") or DEFAULT_MODEL if api_key else OFFLINE)
    if chosen != OFFLINE and not api_key:
        raise ValueError(f"model {chosen!r} needs OPENROUTER_API_KEY (or use --model offline)")
    return Settings(api_key=api_key, base_url=base_url, model=chosen)
