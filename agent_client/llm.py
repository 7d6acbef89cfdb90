"""The LLM behind the agents: any OpenAI-compatible chat-completions endpoint (OpenRouter by
default), with timeouts and retries; tracing only when an OpenAI key is configured."""

from __future__ import annotations

import os

from agents import OpenAIChatCompletionsModel, set_trace_provider, set_tracing_disabled
from agents.tracing.provider import DefaultTraceProvider
from openai import AsyncOpenAI

from .config import Settings

REQUEST_TIMEOUT_SECONDS = 90.0
MAX_RETRIES = 3


def configure_tracing() -> None:
    if os.environ.get("OPENAI_API_KEY"):
        set_tracing_disabled(False)
        return
    # Disabled: a provider without the default exporter, whose HTTP client alone took 0.35 s to
    # set up on every run that exported nothing.
    provider = DefaultTraceProvider()
    provider.set_disabled(True)
    set_trace_provider(provider)


def chat_client(settings: Settings) -> AsyncOpenAI:
    """The endpoint's client; the caller closes it when the run ends."""
    return AsyncOpenAI(api_key=settings.api_key, base_url=settings.base_url, timeout=REQUEST_TIMEOUT_SECONDS,
                       max_retries=MAX_RETRIES)


def chat_model(settings: Settings, client: AsyncOpenAI) -> OpenAIChatCompletionsModel:
    return OpenAIChatCompletionsModel(model=settings.model, openai_client=client)
