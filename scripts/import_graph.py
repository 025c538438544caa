"""Print gaitway's import graph between layers: package edges, edges against the layer order,
and import cycles between modules (module-level imports, and with function-level ones).

    .venv/bin/python scripts/import_graph.py            # summary
    .venv/bin/python scripts/import_graph.py --modules  # every module edge against the order

The layer order is the one in ARCHITECTURE.md; CI enforces it with import-linter (the
``[tool.importlinter]`` contract in pyproject.toml). This script is the readable picture.
"""

from __future__ import annotations

import argparse
import ast
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "src"


def _layers() -> tuple[tuple[str, ...], ...]:
    """The layers, low to high, from the import-linter contract in pyproject.toml."""
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in cfg["contracts"] if c["type"] == "layers")
    return tuple(
        tuple(p.strip(" ()") for p in layer.replace(":", "|").split("|"))
        for layer in reversed(contract["layers"])
    )


#: low to high; a module may import only from its own package or lower layers
LAYERS = _layers()
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    lazy: bool  # inside a function (or a class body's method)
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.split(".")
    if not is_pkg:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def edges(root: Path = ROOT) -> list[Edge]:
    """Every import of a gaitway module by a gaitway module."""
    out: list[Edge] = []
    known = {module_name(p) for p in root.rglob("*.py")}
    for path in sorted(root.rglob("*.py")):
        mod = module_name(path)
        tree = ast.parse(path.read_text(), str(path))
        lazy_nodes: set[int] = set()
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                lazy_nodes.update(id(n) for n in ast.walk(fn) if n is not fn)
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(mod, path.name == "__init__.py", node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                           for a in node.names]
            for t in targets:
                if t.startswith("gaitway.") and t != mod:
                    out.append(Edge(mod, t, id(node) in lazy_nodes, node.lineno))
    return out


def layer_of(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def cycles(es: list[Edge]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for e in es:
        graph[e.src].add(e.dst)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    result: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        result.append(sorted(comp))
    return sorted(result)


def upward(es: list[Edge]) -> list[Edge]:
    """Edges from a lower layer to a higher one (or between two packages of one layer that
    are not the same package, e.g. web -> cli)."""
    bad = []
    for e in es:
        a, b = layer_of(e.src), layer_of(e.dst)
        if a == b or a not in RANK or b not in RANK:
            continue
        if RANK[b] >= RANK[a]:
            bad.append(e)
    return bad


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--modules", action="store_true", help="list every edge against the order")
    args = p.parse_args(argv)
    es = edges()
    top = [e for e in es if not e.lazy]
    pkg: dict[tuple[str, str], list[Edge]] = defaultdict(list)
    for e in es:
        a, b = layer_of(e.src), layer_of(e.dst)
        if a != b:
            pkg[(a, b)].append(e)
    print("package edges (module-level imports; +N lazy = inside functions); ! = against the "
          "layer order")
    for (a, b), lst in sorted(pkg.items(), key=lambda kv: (RANK.get(kv[0][0], 99), kv[0])):
        n_top = sum(not e.lazy for e in lst)
        n_lazy = len(lst) - n_top
        mark = "!" if RANK.get(b, -1) >= RANK.get(a, 99) else " "
        lazy = f" +{n_lazy} lazy" if n_lazy else ""
        print(f" {mark} {a:>10} -> {b:<10} {n_top}{lazy}")
    bad = upward(es)
    print(f"\nimports against the layer order: {len(bad)} "
          f"({sum(e.lazy for e in bad)} of them inside functions)")
    if args.modules or len(bad) <= 40:
        for e in sorted(bad, key=lambda e: (e.src, e.dst)):
            print(f"   {e.src} -> {e.dst}{'  (lazy)' if e.lazy else ''}")
    for label, lst in (("module-level imports", top), ("counting function-level imports", es)):
        cs = cycles(lst)
        print(f"\nmodule cycles, {label}: {len(cs)}")
        for c in cs:
            print("   " + " <-> ".join(c))
    return 1 if bad or cycles(es) else 0


if __name__ == "__main__":
    sys.exit(main())
