"""Plans import benchmark: parse a ~40,000-character policy document.

Builds one document from the three seed texts (tests/plans/imports/data): the header of seed 001,
then the bodies of 001, 002 and 000 again and again with their top-level numbers (一、二、…)
renumbered so the tree stays one plan, cut at the first paragraph past the target length.
Times ``parse_policy_text`` (and, separately, reading the same text from a .docx) and prints
best and mean over N runs after one warm-up.

    uv run python bench/plans_import.py [--chars 40000] [--runs 30]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import statistics
import time
from pathlib import Path

import docx

from plans.imports.deadlines import cn_to_int
from plans.imports.parser import parse_policy_text, read_document

DATA = Path(__file__).resolve().parent.parent / "tests" / "plans" / "imports" / "data"
SEEDS = ["001_ae262387f17bac79.txt", "002_42d7a22f1583c568.txt", "000_3897184aa9194b90.txt"]
TOP = re.compile(r"^(\s*#*\s*\**)([一二三四五六七八九十百零]{1,5})、", re.MULTILINE)
CN = "零一二三四五六七八九"


def to_cn(n: int) -> str:
    """1 → 一, 12 → 十二, 29 → 二十九, 105 → 一百零五 (as far as a long benchmark needs)."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = f"{CN[hundreds]}百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else CN[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (CN[ones] if ones else "")


def build(target_chars: int) -> str:
    texts = [(DATA / name).read_text(encoding="utf-8") for name in SEEDS]
    first_top = [TOP.search(t) for t in texts]
    header = texts[0][: first_top[0].start()] if first_top[0] else ""
    bodies = [t[m.start() :] if m else t for t, m in zip(texts, first_top, strict=True)]
    out = [header]
    length = len(header)
    counter = 0

    def renumber(m: re.Match[str]) -> str:
        nonlocal counter
        counter += 1
        return f"{m.group(1)}{to_cn(counter)}、"

    i = 0
    while length < target_chars:
        body = TOP.sub(renumber, bodies[i % len(bodies)])
        out.append(body)
        length += len(body)
        i += 1
    text = "\n".join(out)
    cut = text.find("\n", target_chars)
    return text if cut == -1 else text[:cut]


def as_docx(text: str) -> bytes:
    document = docx.Document()
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def timed(fn: object, runs: int) -> tuple[float, float]:
    assert callable(fn)
    fn()  # warm-up: first-call costs (imports, regex caches) are not what a user waits for
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples), statistics.fmean(samples)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    text = build(args.chars)
    result = parse_policy_text(text)
    tasks = sum(1 for n in result.nodes if n.kind == "task")
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")
    print(
        f"document: {len(text):,} characters, {len(result.nodes)} nodes, {tasks} tasks, "
        f"{len(result.targets)} targets, {sum(len(n.units) for n in result.nodes)} unit assignments"
    )
    best, mean = timed(lambda: parse_policy_text(text), args.runs)
    print(
        f"parse_policy_text: best {best * 1000:.1f} ms, mean {mean * 1000:.1f} ms ({args.runs} runs)"
    )

    data = as_docx(text)
    best_d, mean_d = timed(lambda: parse_policy_text(read_document(data, "plan.docx")), args.runs)
    print(
        f"read_document(.docx, {len(data):,} bytes) + parse: best {best_d * 1000:.1f} ms, "
        f"mean {mean_d * 1000:.1f} ms ({args.runs} runs)"
    )
    assert all(cn_to_int(to_cn(n)) == n for n in range(1, 1000))
    budget = 1.0
    verdict = "within" if mean_d <= budget and mean <= budget else "OVER"
    print(f"target ≤ {budget:.0f} s per import: {verdict}")


if __name__ == "__main__":
    main()
