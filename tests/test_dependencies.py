"""The server installs without the agent client (`uvx --from PATH aiops-mcp`): everything its
packages import, even lazily inside a function, is declared in [project.dependencies] or comes
with one of those."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, requires

from tests.conftest import ROOT

SERVER_PACKAGES = ("mcp_server", "simulators", "guardrails", "telemetry", "knowledge", "importers")
FIRST_PARTY = {*SERVER_PACKAGES, "agent_client"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports() -> dict[str, str]:
    found = {}
    for package in SERVER_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_server_import_is_a_declared_dependency_or_comes_with_one():
    declared = {_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    brought = set(declared)
    for dist in declared:
        brought |= {_name(r) for r in requires(dist) or () if "extra ==" not in r}
    dists = packages_distributions()
    missing = {module: where for module, where in _imports().items()
               if not {_name(d) for d in dists.get(module, [module])} & brought}
    assert not missing, f"imported by the server but not installed with it: {missing}"
    assert "agents" not in _imports() and "openai" not in _imports()
