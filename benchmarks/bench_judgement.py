"""Judgement benchmark: a default report over a hand-annotated corpus of real public web pages.

    python benchmarks/bench_judgement.py [--runs 3] [--topic boeing-vs-airbus] [--verbose]
    python benchmarks/bench_judgement.py --audit-gold

For each topic folder under ``benchmarks/judgement/`` (a ``corpus/`` of pages and a ``gold.yaml``, see
``benchmarks/judgement/README.md``), it runs ``generate-report`` as a user would, in a subprocess with
``--no-cache`` and an empty cache folder, reads the report's JSON, and measures its judgements against
the gold annotation:

- consensus-label accuracy on findings that state a gold claim (each finding-claim pair is scored:
  the finding's Consensus word against the gold label of the claim);
- the claims carried by 3 or more independent publishers that a finding labels Overlooked;
- the gold conflicts that a Contradictions-and-Gaps entry of kind ``contradiction`` names both sides of,
  and the entries that name the sides of no gold conflict (a false alarm, or a conflict the annotation
  missed: read them with ``--verbose``);
- the findings that state a vital claim, out of the findings shown;
- the wall time the second research round adds (median of ``--runs`` runs of ``--rounds 1`` against
  ``--rounds 2``), where the CLI has a ``--rounds`` option.

It measures and never asserts: the exit status is 0 unless the benchmark itself cannot run.
It reads only the CLI's output, never the product's code, so it judges any implementation alike.
``--audit-gold`` checks the annotation instead: every claim's match rule applied to the corpus pages,
against the pages the annotator listed in ``stated_in``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
GOLD_ROOT = ROOT / "benchmarks" / "judgement"
LABELS = {1: "Overlooked", 2: "Emerging"}  # 3 or more: "Widely known"
TARGETS = {
    "accuracy": "≥ 90%",
    "overlooked": "0",
    "conflicts": "≥ 70%",
    "vital": "≥ 4 of 6",
    "rounds": "≤ 0.5 s",
}


def gold_label(publishers: int) -> str:
    return LABELS.get(publishers, "Widely known")


def normalized(text: str) -> str:
    """Typographic variants folded so that one pattern reads every page: quotes, dashes, spaces."""
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " ", "\u202f": " "})
    return re.sub(r"\s+", " ", text.translate(table))


@dataclass
class Rule:
    """Case-insensitive patterns: every ``all`` one and no ``none`` one in the text itself; every
    ``context`` one (the companies) in the text or its context (the titles of a finding's sources)."""

    all: list[re.Pattern[str]]
    context: list[re.Pattern[str]] = field(default_factory=list)
    none: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def parse(cls, spec: dict[str, Any] | list[str]) -> Rule:
        if isinstance(spec, list):
            spec = {"all": spec}

        def compiled(key: str) -> list[re.Pattern[str]]:
            return [re.compile(pattern, re.IGNORECASE) for pattern in spec.get(key, [])]

        return cls(compiled("all"), compiled("context"), compiled("none"))

    def matches(self, text: str, context: str = "") -> bool:
        text = normalized(text)
        around = f"{text} {normalized(context)}"
        return (
            all(p.search(text) for p in self.all)
            and all(p.search(around) for p in self.context)
            and not any(p.search(text) for p in self.none)
        )


@dataclass
class Claim:
    id: str
    statement: str
    vital: bool
    stated_in: list[str]
    label: str
    rule: Rule


@dataclass
class Side:
    claim: str
    rule: Rule


@dataclass
class Conflict:
    id: str
    about: str
    sides: list[Side]


@dataclass
class Gold:
    folder: Path
    topic: str
    as_of: str
    window: str
    claims: list[Claim]
    conflicts: list[Conflict]
    republishes: dict[str, str]
    publishers: dict[str, str]  # corpus file -> its front matter's publisher

    def independent_publishers(self, files: list[str]) -> int:
        """Distinct publishers, a republished copy counted as the publisher of the page it copies."""

        def root(name: str) -> str:
            seen = set()
            while name in self.republishes and name not in seen:
                seen.add(name)
                name = self.republishes[name]
            return name

        return len({self.publishers[root(name)] for name in files})


def front_matter(path: Path) -> tuple[dict[str, Any], str]:
    _, head, body = path.read_text(encoding="utf-8").split("---", 2)
    return yaml.safe_load(head) or {}, body


def load_gold(folder: Path) -> Gold:
    data = yaml.safe_load((folder / "gold.yaml").read_text(encoding="utf-8"))
    publishers = {path.name: str(front_matter(path)[0]["publisher"]) for path in sorted((folder / "corpus").glob("*.md"))}
    claims = [
        Claim(c["id"], c["statement"], bool(c.get("vital")), c["stated_in"], c["label"], Rule.parse(c["match"]))
        for c in data["claims"]
    ]
    conflicts = [
        Conflict(k["id"], k["about"], [Side(s["claim"], Rule.parse(s["match"])) for s in k["sides"]])
        for k in data.get("conflicts", [])
    ]
    republishes = {name: doc["republishes"] for name, doc in (data.get("documents") or {}).items() if doc.get("republishes")}
    request = data["request"]
    return Gold(folder, request["topic"], str(request["as_of"]), str(request["window"]), claims, conflicts, republishes, publishers)


def problems(gold: Gold) -> list[str]:
    """What is inconsistent in the annotation itself: unknown files or claims, labels that don't count."""
    found = []
    ids = {claim.id for claim in gold.claims}
    for claim in gold.claims:
        unknown = [name for name in claim.stated_in if name not in gold.publishers]
        if unknown:
            found.append(f"{claim.id}: stated_in names files not in the corpus: {unknown}")
            continue
        expected = gold_label(gold.independent_publishers(claim.stated_in))
        if claim.label != expected:
            found.append(f"{claim.id}: label {claim.label!r}, but its stated_in counts as {expected!r}")
    for copy, original in gold.republishes.items():
        if copy not in gold.publishers or original not in gold.publishers:
            found.append(f"republishes: {copy} -> {original} names a file not in the corpus")
    for conflict in gold.conflicts:
        for side in conflict.sides:
            if side.claim not in ids:
                found.append(f"{conflict.id}: side names unknown claim {side.claim}")
    return found


def audit(gold: Gold) -> None:
    """Each claim's match rule against each page, line by line, beside the annotator's ``stated_in``."""
    pages = {}
    for path in sorted((gold.folder / "corpus").glob("*.md")):
        meta, body = front_matter(path)
        pages[path.name] = (body, f"{meta.get('title', '')} {body}")
    print(f"## Audit of {gold.folder.name}/gold.yaml\n")
    for problem in problems(gold):
        print(f"- PROBLEM {problem}")
    for claim in gold.claims:
        by_line = {
            name for name, (body, whole) in pages.items() if any(claim.rule.matches(line, whole) for line in body.splitlines())
        }
        by_page = {name for name, (body, whole) in pages.items() if claim.rule.matches(body, whole)}
        listed = set(claim.stated_in)
        notes = []
        if by_line - listed:
            notes.append(f"rule matches a line of, not listed: {sorted(by_line - listed)}")
        if listed - by_page:
            notes.append(f"listed, rule matches nowhere in: {sorted(listed - by_page)}")
        if (by_page - by_line) - listed:
            notes.append(f"rule matches across lines only, not listed: {sorted((by_page - by_line) - listed)}")
        print(f"- {claim.id} ({len(listed)} pages, {claim.label}): " + ("; ".join(notes) or "agrees"))
    print()


def cli() -> list[str]:
    """The installed ``generate-report`` beside this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "generate-report"
    found = str(beside) if beside.exists() else shutil.which("generate-report")
    if not found:
        raise SystemExit("Error: generate-report is not installed (pip install -e . first)")
    return [found]


def has_rounds_option() -> bool:
    result = subprocess.run([*cli(), "--help"], capture_output=True, text=True, check=False)
    return "--rounds" in result.stdout


def run_report(gold: Gold, extra: tuple[str, ...] = ()) -> tuple[dict[str, Any], float]:
    """One uncached report as a user would run it; its JSON and its wall time in seconds."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "GROUNDBRIEF_CACHE_DIR": str(Path(scratch) / "cache")}
        command = [
            *cli(), gold.topic, "--corpus", str(gold.folder / "corpus"), "--as-of", gold.as_of,
            "--window", gold.window, "--out", str(Path(scratch) / "out"), "--json", "--no-cache", "-q", *extra,
        ]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - started
    if result.returncode not in (0, 3):  # 3: written, though some searches or calls failed
        raise SystemExit(f"Error: generate-report exited {result.returncode}: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout), elapsed


@dataclass
class Scores:
    findings: int
    pairs: int
    correct: int
    unmatched: int
    overlooked_widely: list[str]
    conflicts_flagged: list[str]
    unfounded_conflicts: int  # contradiction entries that name the sides of no gold conflict
    vital_findings: int
    detail: list[str]


def score(gold: Gold, report: dict[str, Any]) -> Scores:
    claims = {claim.id: claim for claim in gold.claims}
    pairs = correct = unmatched = vital = 0
    overlooked: list[str] = []
    detail = []
    for number, finding in enumerate(report["findings"], 1):
        titles = " ".join(source["title"] for source in finding["sources"])
        stated = [claim for claim in gold.claims if claim.rule.matches(finding["snippet"], titles)]
        word = finding["consensus"]
        detail.append(f"{number}. [{word}] {normalized(finding['snippet'])[:160]}")
        if not stated:
            unmatched += 1
            detail.append("   states no gold claim")
        vital += any(claim.vital for claim in stated)
        for claim in stated:
            pairs += 1
            correct += word == claim.label
            mark = "ok" if word == claim.label else "WRONG"
            detail.append(f"   {claim.id} (gold {claim.label}, {len(claim.stated_in)} pages{', vital' if claim.vital else ''}): "
                          f"{mark}. {claim.statement}")
            if word == "Overlooked" and claim.label == "Widely known" and claim.id not in overlooked:
                overlooked.append(claim.id)
    flagged = []
    unfounded = 0
    for gap in report["gaps"]:
        if gap["kind"] != "contradiction":
            continue
        text = f"{gap['title']}. {gap['text']}"
        detail.append(f"gap (contradiction): {normalized(text)[:200]}")
        founded = False
        for conflict in gold.conflicts:
            named = {side.claim for side in conflict.sides if side.rule.matches(text)}
            founded |= len(named) >= 2
            if len(named) >= 2 and conflict.id not in flagged:
                flagged.append(conflict.id)
                detail.append(f"   flags {conflict.id}: {conflict.about} (sides {', '.join(sorted(named))})")
        if not founded:
            unfounded += 1
            detail.append("   flags no gold conflict")
    for claim_id in overlooked:
        detail.append(f"Overlooked but carried by 3+ publishers: {claim_id}: {claims[claim_id].statement}")
    return Scores(len(report["findings"]), pairs, correct, unmatched, overlooked, flagged, unfounded, vital, detail)


def percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "n/a (0 pairs)"


def rounds_cost(gold: Gold, runs: int) -> str:
    if not has_rounds_option():
        return "n/a (no --rounds option)"
    one = [run_report(gold, ("--rounds", "1"))[1] for _ in range(runs)]
    two = [run_report(gold, ("--rounds", "2"))[1] for _ in range(runs)]
    return (f"{statistics.median(two) - statistics.median(one):+.2f} s "
            f"(median {statistics.median(one):.2f} s → {statistics.median(two):.2f} s, {runs} runs each)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", action="append", help="topic folder under benchmarks/judgement (default: all)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each --rounds setting for the timing")
    parser.add_argument("--verbose", action="store_true", help="which gold claim each finding states, its label against gold")
    parser.add_argument("--audit-gold", action="store_true", help="check the annotation against the pages instead")
    args = parser.parse_args()
    folders = [GOLD_ROOT / name for name in args.topic] if args.topic else sorted(p.parent for p in GOLD_ROOT.glob("*/gold.yaml"))
    golds = [load_gold(folder) for folder in folders]
    if args.audit_gold:
        for gold in golds:
            audit(gold)
        return 0
    for gold in golds:
        for problem in problems(gold):
            print(f"Warning: {gold.folder.name}/gold.yaml: {problem}", file=sys.stderr)
        report, wall = run_report(gold)
        scores = score(gold, report)
        vital_claims = sum(claim.vital for claim in gold.claims)
        print(f"## {gold.folder.name}: `generate-report \"{gold.topic}\" --as-of {gold.as_of} --window {gold.window}`\n")
        print(f"{len(gold.publishers)} pages, {len(gold.claims)} gold claims ({vital_claims} vital), "
              f"{len(gold.conflicts)} gold conflicts; model `{report['metadata']['model']}`; report in {wall:.2f} s.\n")
        print("| measurement | value | target |\n|---|---|---|")
        print(f"| consensus label right, finding-claim pairs | {percent(scores.correct, scores.pairs)} | {TARGETS['accuracy']} |")
        print(f"| findings stating no gold claim | {scores.unmatched}/{scores.findings} |  |")
        listed = ", ".join(scores.overlooked_widely) or "none"
        print(f"| claims carried by 3+ publishers labelled Overlooked | {len(scores.overlooked_widely)} ({listed}) | {TARGETS['overlooked']} |")
        flagged = ", ".join(scores.conflicts_flagged)
        print(f"| gold conflicts flagged as contradictions | {percent(len(scores.conflicts_flagged), len(gold.conflicts))}"
              f"{f' ({flagged})' if flagged else ''} | {TARGETS['conflicts']} |")
        print(f"| contradiction entries that flag no gold conflict | {scores.unfounded_conflicts} |  |")
        print(f"| findings stating a vital claim | {scores.vital_findings} of {scores.findings} | {TARGETS['vital']} |")
        print(f"| time the second round adds | {rounds_cost(gold, args.runs)} | {TARGETS['rounds']} |\n")
        if args.verbose:
            print("\n".join(scores.detail) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
