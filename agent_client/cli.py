"""`aiops-agent`: investigate an incident with six agents over MCP."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("aiops-agent: the agent client is not built yet; see README.md", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
