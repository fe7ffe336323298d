"""Bad-plan benchmark: how long the loader takes to refuse each plan of tests/data/bad_plans/
and the sizes that issue 16 reported (a 100,000-character title, 100,000 categories, a 5 MB
file), against reading the shipped plan. Medians of several runs, in-process.

    python bench/bad_plans.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calendar_app.errors import PlanError  # noqa: E402
from calendar_app.plan.reader import load_plan  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work" / "bad_plans"
DATA = ROOT / "tests" / "data"


def generated() -> dict[str, Path]:
    """The reported sizes, too large to keep under tests/data."""
    WORK.mkdir(parents=True, exist_ok=True)
    plan = (DATA / "minimal.yaml").read_text(encoding="utf-8")
    texts = {
        "title of 100,000 characters": plan.replace("title: 每周科普", "title: " + "科" * 100_000),
        "100,000 categories": plan.replace("  A: 测试类别\n", "  A: 测试类别\n" + "".join(
            f"  X{i}: 类别{i}\n" for i in range(100_000))),
        "a 5 MB file": plan + "# " + "x" * (5 * 1024 * 1024) + "\n",
    }
    paths = {}
    for i, (name, text) in enumerate(texts.items()):
        paths[name] = WORK / f"generated-{i}.yaml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def refusal(path: Path, runs: int) -> tuple[float, str]:
    times, verdict = [], ""
    for _ in range(runs):
        began = time.perf_counter()
        try:
            load_plan(path)
            verdict = "accepted"
        except PlanError as exc:
            verdict = str(exc.problems[0]).split(": ", 1)[1][:60]
        times.append(time.perf_counter() - began)
    return statistics.median(times), verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cases = {p.name: p for p in sorted((DATA / "bad_plans").glob("*.yaml"))}
    cases.update(generated())
    cases["(the shipped plan, accepted)"] = ROOT / "recurring.yaml"
    rows = sorted(((*refusal(path, runs), name) for name, path in cases.items()), reverse=True)
    print("| plan | refused in s | first problem |")
    print("|---|---|---|")
    for seconds, verdict, name in rows:
        print(f"| {name} | {seconds:.3f} | {verdict} |")


if __name__ == "__main__":
    main()
