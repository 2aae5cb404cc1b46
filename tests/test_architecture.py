"""The shape of `auditor/`: no import cycle, and only `collect/` and `demo/` (which read AWS) and
the writers — `outputs/` and the Lambda entry `aws_lambda.py` — reach boto3; read from the import
graph (the modules' parsed import statements), not from their text."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import auditor

ROOT = Path(auditor.__file__).parent
AWS_SDK = ("boto3", "botocore")
MAY_IMPORT_AWS_SDK = ("auditor.collect", "auditor.demo", "auditor.outputs", "auditor.aws_lambda")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, wherever it is, except those under `if TYPE_CHECKING:`."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in skipped]


def import_graph() -> dict[str, set[str]]:
    """Module → the modules it imports (auditor's own, resolved to submodules, and the rest by
    their top-level name)."""
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in _runtime_imports(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {a.name if a.name in modules else a.name.split(".")[0] for a in node.names}
                continue
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + [base]
                ).strip(".")
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                edges.add(sub if sub in modules else (base if base in modules else base.split(".")[0]))
        graph[name] = edges - {name}
    return graph


def test_the_graph_sees_known_edges():
    graph = import_graph()
    assert "auditor.analysis.context" in graph["auditor.pipeline"]
    assert "boto3" in graph["auditor.collect.session"]
    assert "auditor.collect.session" not in graph["auditor.collect.ecs"]  # only under TYPE_CHECKING


def test_no_import_cycle():
    graph = import_graph()
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " → ".join([*path[path.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_only_collect_demo_and_the_writers_import_the_aws_sdk():
    offenders = sorted(
        name
        for name, edges in import_graph().items()
        if edges & set(AWS_SDK) and not name.startswith(MAY_IMPORT_AWS_SDK)
    )
    assert offenders == []


def test_analysis_and_reports_load_no_aws_sdk():
    code = (
        "import sys, auditor.pipeline, auditor.report, auditor.cli, auditor.collect.specs, auditor.snapshot; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {AWS_SDK!r}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
