"""Import the Nezha dataset (Yu et al., ESEC/FSE 2023): one case directory per injected fault,
in the files layout, with the fault's labels in `truth.json` beside the served files.

    aiops-mcp import nezha ob-2022-08-22.tar.xz --out cases/

docs/nezha.md describes the cases: the window rule, the metric names, the log levels, what
was left out and why.
"""

from .cases import Case, import_nezha

__all__ = ["Case", "import_nezha"]
