"""Run every benchmark in bench/ and print one table (and JSON with --json).

Each module bench/bench_<topic>.py exposes ``run(quick: bool = False) -> list[dict]`` whose rows
hold name, value, unit and, where it applies, the baseline measured in the same run, the ratio
to it and the goal. Usage: ``python bench/run.py [--quick] [--only TOPIC ...] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return "" if x is None else str(x)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs, same rows")
    parser.add_argument("--only", nargs="*", default=None, help="topics, e.g. station recording")
    parser.add_argument("--json", type=Path, default=None, help="write all rows as JSON")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor()},
        "quick": args.quick,
        "topics": {},
    }
    for path in sorted(HERE.glob("bench_*.py")):
        topic = path.stem.removeprefix("bench_")
        if args.only and topic not in args.only:
            continue
        t0 = time.perf_counter()
        rows = _load(path).run(quick=args.quick)
        results["topics"][topic] = rows
        print(f"\n== {topic} ({time.perf_counter() - t0:.1f} s)")
        for r in rows:
            extra = ", ".join(f"{k}={_fmt(v)}" for k, v in r.items()
                              if k not in ("name", "value", "unit"))
            print(f"  {r['name']}: {_fmt(r['value'])} {r.get('unit', '')}"
                  + (f"  ({extra})" if extra else ""))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
