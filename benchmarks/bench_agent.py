"""Agent client cost, each against a floor measured in the same run.

* `aiops-agent run <preset> --model offline`, process start to report, vs. a minimal run of
  one agent calling one MCP tool through the same SDK (also a fresh process); target <= 1.3x;
* input tokens of a full LLM investigation against a local fake endpoint whose scripted model
  calls every offered tool once with default arguments and then hands off: target <= 40,000
  in total and no request of 16,000 or more (characters / 4).

    uv run python -m benchmarks.bench_agent
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ECHO_SERVER, report

ROOT = Path(__file__).resolve().parent.parent
MINIMAL_RUN = r'''
import asyncio, json, sys
from agents import Agent, Runner, Usage
from agents.items import ModelResponse
from agents.mcp import MCPServerStdio
from agents.models.interface import Model
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText
from agent_client.llm import configure_tracing

class OneCall(Model):
    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs,
                           tracing, **kwargs):
        called = any(isinstance(i, dict) and i.get("type") == "function_call_output" for i in input)
        item = (ResponseOutputMessage(id="m", type="message", role="assistant", status="completed",
                                      content=[ResponseOutputText(type="output_text", text="done", annotations=[])])
                if called else
                ResponseFunctionToolCall(id="c", call_id="c", type="function_call", name="echo", arguments="{}"))
        return ModelResponse(output=[item], usage=Usage(requests=1), response_id=None)
    def stream_response(self, *a, **k):
        raise NotImplementedError

async def main():
    configure_tracing()  # the same tracing set-up as aiops-agent: the floor should not pay for more
    async with MCPServerStdio(params={"command": sys.executable, "args": [sys.argv[1]]}) as server:
        agent = Agent(name="minimal", instructions="call echo", model=OneCall(), mcp_servers=[server])
        result = await Runner.run(agent, "go")
        print(result.final_output)

asyncio.run(main())
'''


def _timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - t


def end_to_end(repeats: int, preset: str) -> bool:
    tmp = Path(tempfile.mkdtemp())
    (tmp / "echo_server.py").write_text(ECHO_SERVER)
    (tmp / "minimal_run.py").write_text(MINIMAL_RUN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    minimal, ours = [], []
    for _ in range(repeats):  # interleaved
        minimal.append(_timed([sys.executable, str(tmp / "minimal_run.py"), str(tmp / "echo_server.py")], env))
        ours.append(_timed([sys.executable, "-m", "agent_client.cli", "run", preset, "--model", "offline",
                            "--quiet"], env))
    return report(f"aiops-agent run {preset} --model offline (process start to report)", statistics.median(ours),
                  "s", floor=statistics.median(minimal), ratio_target=1.3)


def tokens(preset: str) -> bool:
    from agent_client.config import Settings
    from agent_client.pipeline import connect, investigate
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as fake:
        async def go():
            server = connect(scenario=preset)
            async with server:
                await investigate(server, Settings(api_key="benchmark", base_url=fake.base_url, model="fake"))

        asyncio.run(go())
    sizes = [r.input_tokens for r in fake.requests]
    print(f"  {len(sizes)} requests; per request: {sizes}")
    ok = report("LLM investigation: input tokens, total", sum(sizes), "tokens", target=40_000)
    ok &= report("LLM investigation: largest single request", max(sizes), "tokens", target=15_999)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--preset", default="deployment_regression")
    args = parser.parse_args()
    ok = end_to_end(args.repeats, args.preset)
    ok &= tokens(args.preset)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
