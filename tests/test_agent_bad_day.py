"""The client on a bad day, against the local fake LLM endpoint and a real stdio MCP server: a
failing endpoint (rate limits, 5xx, timeouts, garbage or cut-off answers), a run past its
deadline, a model sending broken tool arguments, and an MCP server killed or frozen mid-run. Each
ends within its deadline, says what failed, and keeps the findings with the usage counted."""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_client.config import Settings
from agent_client.failures import TOOL_FAILED
from agent_client.limits import Limits
from agent_client.pipeline import InvestigationError, connect, investigate
from tests.fake_openai import FakeOpenAI, Failure, ScriptedPolicy

pytestmark = pytest.mark.slow  # real subprocesses
FAST = Limits(run_seconds=20, llm_request_seconds=0.5, llm_retries=2, llm_backoff_seconds=0.05, mcp_request_seconds=1)

ENDPOINT_FAILURES = {  # failure -> what the message says
    "rate limited": (Failure(status=429, retry_after="0.1"), "answered HTTP 429 (rate limited)"),
    "rate limited for long": (Failure(status=429, retry_after="120"), "asking to retry after 120 s"),
    "server error": (Failure(status=503), "answered HTTP 503"),
    "bad key": (Failure(status=401), "check OPENROUTER_API_KEY"),
    "garbage": (Failure(body=b"<html>upstream hiccup</html>"), "not a chat completion"),
    "no choices": (Failure(body=b'{"id": "x", "object": "chat.completion"}'), "not a chat completion"),
    "cut off": (Failure(body=b'{"id": "x", "choices": [', truncated=True), "cut its answer short"),
    "hang": (Failure(hang=5), "did not answer in time"),
}
RETRIED = {"rate limited", "server error", "garbage", "no choices", "cut off", "hang"}


def _settings(fake: FakeOpenAI) -> Settings:
    return Settings(api_key="test-key", base_url=fake.base_url, model="fake/scripted")


def test_a_failing_llm_endpoint_is_retried_then_named_and_the_usage_kept():
    async def go(fake: FakeOpenAI):
        server = connect(scenario="deployment_regression", limits=FAST)
        async with server:
            for name, (failure, said) in ENDPOINT_FAILURES.items():
                # Two good answers (the Triage Agent's tool calls), then the endpoint fails.
                fake.attempts, fake.failures = 0, (lambda n, f=failure: f if n >= 2 else None)
                started = time.perf_counter()
                with pytest.raises(InvestigationError) as info:
                    await investigate(server, _settings(fake), limits=FAST)
                elapsed = time.perf_counter() - started
                message, usage = str(info.value), info.value.partial.usage
                assert f"the LLM endpoint {fake.base_url}" in message and said in message, (name, message)
                assert fake.attempts == 2 + (1 + FAST.llm_retries if name in RETRIED else 1), name
                assert usage.llm_requests == fake.attempts and usage.input_tokens > 0, (name, usage)
                assert info.value.partial.agents == ["Triage Agent"], name
                assert elapsed < 5, (name, elapsed)

    with FakeOpenAI() as fake:
        asyncio.run(go(fake))


def test_a_rate_limited_endpoint_that_recovers_finishes_and_counts_every_request():
    failures = lambda n: Failure(status=429, retry_after="0") if n in (3, 4) else None  # noqa: E731
    with FakeOpenAI(failures=failures) as fake:
        async def go():
            server = connect(scenario="deployment_regression", limits=FAST)
            async with server:
                return await investigate(server, _settings(fake), limits=FAST)

        outcome = asyncio.run(go())
    assert outcome.report.usage.llm_requests == fake.attempts == len(fake.requests) + 2


def _broken_query_logs(name: str, args: dict) -> dict | str:
    return '{"min_level": "ERROR", "limit": ' if name == "query_logs" else args


def test_broken_tool_arguments_are_explained_to_the_model():
    with FakeOpenAI(policy=ScriptedPolicy(arguments=_broken_query_logs)) as fake:
        async def go():
            server = connect(scenario="deployment_regression", limits=FAST)
            async with server:
                return await investigate(server, _settings(fake), limits=FAST)

        outcome = asyncio.run(go())
    outputs = [json.dumps(m["content"]) for r in fake.requests for m in r.body["messages"] if m["role"] == "tool"]
    assert any(TOOL_FAILED in o and "not a valid JSON object" in o for o in outputs)
    assert outcome.report.agents[-1] == "Incident Reporter Agent"
    assert len(fake.requests) <= 30  # no loop of blind retries


def _server_pids() -> list[int]:
    pids = []
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            if "mcp_server.cli" in Path(f"/proc/{pid}/cmdline").read_text():
                pids.append(int(pid))
    return pids


class _Saboteur(ScriptedPolicy):
    """Answers like the scripted model, and sends `sig` to the MCP server at request `at`."""

    def __init__(self, sig: int, at: int) -> None:
        super().__init__()
        self.sig, self.at, self.seen, self.pids, self.when = sig, at, 0, [], 0.0

    def respond(self, body: dict) -> dict:
        self.seen += 1
        if self.seen == self.at:
            self.pids, self.when = _server_pids(), time.perf_counter()
            for pid in self.pids:
                os.kill(pid, self.sig)
        return super().respond(body)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the server's process in /proc")
@pytest.mark.parametrize(("sig", "said", "within"), [(signal.SIGKILL, "the MCP server exited", 1.0),
                                                      (signal.SIGSTOP, "the MCP server stopped answering", 2.5)],
                         ids=["killed", "frozen"])
def test_a_lost_mcp_server_ends_the_run_at_once(sig, said, within):
    policy = _Saboteur(sig, at=5)
    with FakeOpenAI(policy=policy) as fake:
        async def go():
            server = connect(scenario="deployment_regression", limits=FAST)
            await server.connect()
            try:
                await investigate(server, _settings(fake), limits=FAST)
            finally:
                for pid in policy.pids:  # a frozen server is not left behind
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                await server.cleanup()

        with pytest.raises(InvestigationError) as info:
            asyncio.run(go())
        ended = time.perf_counter()
    assert policy.pids and said in str(info.value)
    assert fake.attempts == policy.at  # not one LLM request after the server was lost
    assert info.value.partial.usage.llm_requests == policy.at and info.value.partial.agents[-1] == "Log Analyzer Agent"
    assert ended - policy.when < within + 1.5  # the loss noticed within the MCP request timeout, then cleaned up


def test_the_cli_run_deadline_saves_findings_and_names_the_deadline(tmp_path):
    hang = lambda n: Failure(hang=30) if n >= 1 else None  # noqa: E731
    with FakeOpenAI(failures=hang) as fake:
        env = dict(os.environ, OPENROUTER_API_KEY="test-key", OPENROUTER_BASE_URL=fake.base_url)
        out = tmp_path / "findings.json"
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "agent_client.cli", "run", "deployment_regression", "--model",
                               "fake/scripted", "--timeout", "8", "--json", str(out), "--quiet"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60)
        elapsed = time.perf_counter() - started
        attempts = fake.attempts
    print(f"\nthe CLI ended {elapsed:.1f} s after it started, with --timeout 8")
    assert proc.returncode == 1, proc.stderr
    assert "did not finish within its deadline (8 s" in proc.stderr and "cannot reach" not in proc.stderr
    saved = json.loads(out.read_text())
    assert saved["status"].startswith("failed") and saved["usage"]["llm_requests"] == attempts
    assert elapsed < 8 + 3  # the deadline counts from the command's start; then the server is stopped
