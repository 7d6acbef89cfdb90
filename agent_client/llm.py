"""The LLM behind the agents: any OpenAI-compatible chat-completions endpoint (OpenRouter by
default). Each request has a timeout; failed requests are retried by the Agents SDK (rate
limits after their Retry-After, 5xx, timeouts, cut-off or malformed answers) a bounded number of
times with backoff; every request sent is counted. Tracing only when an OpenAI key is
configured."""

from __future__ import annotations

import os
from collections.abc import Callable

from agents import (ModelRetryBackoffSettings, ModelRetrySettings, ModelSettings, OpenAIChatCompletionsModel,
                    RetryDecision, RetryPolicyContext, set_trace_provider, set_tracing_disabled)
from agents.tracing.provider import DefaultTraceProvider
from openai import AsyncOpenAI, DefaultAsyncHttpxClient

from .config import Settings
from .limits import Limits

MAX_BACKOFF_SECONDS = 8.0
# A rate limit asking for a longer pause than this ends the run: the operator should know now.
MAX_RETRY_AFTER_SECONDS = 30.0
# Statuses worth another try; any other 4xx (a bad key, a bad request) gets the same answer again.
RETRY_STATUSES = (408, 409, 429)


def configure_tracing() -> None:
    if os.environ.get("OPENAI_API_KEY"):
        set_tracing_disabled(False)
        return
    # Disabled: a provider without the default exporter, whose HTTP client alone took 0.35 s to
    # set up on every run that exported nothing.
    provider = DefaultTraceProvider()
    provider.set_disabled(True)
    set_trace_provider(provider)


def chat_client(settings: Settings, limits: Limits, on_request: Callable[[], None]) -> AsyncOpenAI:
    """The endpoint's client; `on_request` is called for every request sent. It does not retry
    by itself (the SDK does, see `retry_settings`). The caller closes it when the run ends."""

    async def count(request) -> None:
        on_request()

    http = DefaultAsyncHttpxClient(timeout=limits.llm_request_seconds, event_hooks={"request": [count]})
    return AsyncOpenAI(api_key=settings.api_key, base_url=settings.base_url, timeout=limits.llm_request_seconds,
                       max_retries=0, http_client=http)


def chat_model(settings: Settings, client: AsyncOpenAI) -> OpenAIChatCompletionsModel:
    return OpenAIChatCompletionsModel(model=settings.model, openai_client=client)


def retry_settings(limits: Limits) -> ModelSettings:
    """Model settings for every agent: the SDK retries a failed LLM request this way."""
    backoff = ModelRetryBackoffSettings(initial_delay=limits.llm_backoff_seconds, max_delay=MAX_BACKOFF_SECONDS,
                                        multiplier=2.0, jitter=True)
    return ModelSettings(retry=ModelRetrySettings(max_retries=limits.llm_retries, backoff=backoff,
                                                  policy=_worth_retrying))


def _worth_retrying(context: RetryPolicyContext) -> bool | RetryDecision:
    status = context.normalized.status_code
    if status is not None and status not in RETRY_STATUSES and status < 500:
        return False
    wait = context.normalized.retry_after
    if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
        return False
    return RetryDecision(retry=True, delay=wait)  # no Retry-After: the backoff decides
