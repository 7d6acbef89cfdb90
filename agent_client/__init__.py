"""Six OpenAI-Agents-SDK agents that investigate an incident through the aiops MCP server.

    import asyncio
    from agent_client import run_incident_response
    report = asyncio.run(run_incident_response("deployment_regression"))
    print(report)
"""

from __future__ import annotations

from .report import IncidentReport


async def run_incident_response(scenario: str | None = "deployment_regression", *, scenario_file: str | None = None,
                                seed: int | None = None, model: str | None = None, server_url: str | None = None,
                                quiet: bool = True) -> IncidentReport:
    """Investigate a scenario (or, with `server_url`, whatever the running server serves).

    Raises `InvestigationError` (with `.partial`, the findings so far) if the run stops early.
    """
    from .config import load_settings
    from .pipeline import connect, investigate
    from .progress import Progress

    settings = load_settings(model)
    server = connect(scenario=scenario, scenario_file=scenario_file, seed=seed, server_url=server_url)
    async with server:
        outcome = await investigate(server, settings, Progress(quiet=quiet))
    return outcome.report


__all__ = ["IncidentReport", "run_incident_response"]
