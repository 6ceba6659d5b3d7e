"""Polling benchmark: what one sync cycle costs our worker, next to a naive per-item poller.

Run ``.venv/bin/python -m bench.polling [--sizes 100,1000,10000] [--latency 0.05]
[--out bench/results.json] [--quick] [--naive-max N]``; bench/README.md says what each
figure means. For each size the emulator is started on loopback, the definitions and the
teams file are generated, one issue per action item is put in place in the emulator (as the
worker files it) and the worker links them in warm-up cycles; then both sides run in
processes of their own while this process counts the requests the emulator answers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from rich.console import Console
from rich.table import Table

from bench.link import Link
from bench.world import (
    GITHUB_TOKEN,
    JIRA_EMAIL,
    JIRA_TOKEN,
    change_items,
    check_setup,
    github_remaining,
    issues_per_target,
    make_targets,
    seed_issues,
    set_latency,
    start_emulator,
    store_links,
    write_definitions,
    write_teams,
)
from config.teams import load_teams
from connectors.emulator import Emulator
from connectors.emulator.request_log import RequestRecord
from sync.loader import load_definitions

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results.json"
QUICK_OUT = ROOT / "bench" / "results-quick.json"

#: The figures compared side by side, with the ratio ours / naive.
FIGURES: tuple[str, ...] = (
    "idle_requests",
    "changed_requests",
    "idle_wall_s",
    "changed_wall_s",
    "idle_tracemalloc_peak_bytes",
    "maxrss_bytes",
    "idle_github_rate_limit_used",
)
#: Figures a per-item poll makes in proportion to the items polled (used when only one
#: smaller poll could be measured); memory has a fixed part and is never scaled that way.
PROPORTIONAL = frozenset({"idle_requests", "changed_requests", "idle_wall_s", "changed_wall_s"})
LABELS = {
    "idle_requests": "requests per idle cycle",
    "changed_requests": "requests per cycle, {changed} changed",
    "idle_wall_s": "wall time per idle cycle",
    "changed_wall_s": "wall time per cycle, {changed} changed",
    "idle_tracemalloc_peak_bytes": "tracemalloc peak of an idle cycle",
    "maxrss_bytes": "peak RSS of the process",
    "idle_github_rate_limit_used": "GitHub rate limit used by an idle cycle",
}


class BenchError(RuntimeError):
    """The benchmark could not be set up or run as it must be; the message says what failed."""


@dataclass(frozen=True)
class Config:
    """What one benchmark run measures."""

    sizes: tuple[int, ...] = (100, 1_000, 10_000)
    #: Seconds the emulator adds to every request during the measured cycles.
    latency: float = 0.05
    #: The largest size at which the naive poller is run over every item; above it, it is
    #: run over subsets of the items and its figures are extrapolated (and marked so).
    naive_max: int = 1_000
    jira_projects: int = 10
    github_repos: int = 10
    items_per_postmortem: int = 10
    changed_fraction: float = 0.01
    #: Definition files loaded for the loading figure, and how many times.
    load_files: int = 1_000
    load_repeats: int = 3
    quick: bool = False


# -- a measured process ---------------------------------------------------------------------


class SideProcess:
    """One side (``ours`` or ``naive``) in a process of its own (:mod:`bench.side`)."""

    def __init__(self, name: str, spec: dict[str, Any], folder: Path) -> None:
        self.name = name
        spec_path = folder / f"{name}.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        self.log_path = folder / f"{name}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PMSYNC_")}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.side", str(spec_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=folder,  # no .env of the checkout is read
            env=env,
            text=True,
        )
        try:
            self.ready = self._answer()
        except BaseException:
            self.close()
            raise

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        return self._proc.stdin, self._proc.stdout

    def _answer(self) -> dict[str, Any]:
        line = self._pipes()[1].readline()
        if not line:
            self._proc.wait(timeout=30)
            raise BenchError(f"the {self.name} process ended (exit {self._proc.returncode}){self._log_tail()}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise BenchError(f"{self.name}: {answer['error']}{self._log_tail()}")
        return answer

    def _log_tail(self) -> str:
        self._log.flush()
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return ("; its log ends:\n" + "\n".join(lines[-15:])) if lines else ""

    def cycle(self, *, trace: bool = False) -> dict[str, Any]:
        stdin = self._pipes()[0]
        stdin.write(json.dumps({"op": "cycle", "trace": trace}) + "\n")
        stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                stdin = self._pipes()[0]
                stdin.write(json.dumps({"op": "quit"}) + "\n")
                stdin.flush()
                stdin.close()
                self._proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._log.close()

    def __enter__(self) -> SideProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# -- one size -------------------------------------------------------------------------------


@dataclass
class Phase:
    """Where the benchmark is, for the progress lines."""

    console: Console
    started: float = field(default_factory=time.perf_counter)

    def say(self, message: str) -> None:
        elapsed = time.perf_counter() - self.started
        self.console.print(f"[{elapsed:7.1f} s] {message}", markup=False, highlight=False)


def _requests(log: Sequence[RequestRecord]) -> dict[str, Any]:
    by: Counter[str] = Counter(f"{r.server} {r.method}" for r in log)
    return {
        "total": len(log),
        "by_server": dict(sorted(Counter(r.server for r in log).items())),
        "by_method": dict(sorted(by.items())),
        "failed": sum(1 for r in log if r.status == 0 or r.status >= 400),
    }


def measure(
    emulator: Emulator, side: SideProcess, links: Sequence[Link], config: Config, batch: int, phase: Phase
) -> dict[str, Any]:
    """The figures of one side: a settling cycle at no latency, an idle cycle and a cycle
    after ``changed_fraction`` of ``links`` changed at the configured latency, then an idle
    cycle under tracemalloc at no latency (memory does not depend on the wait)."""
    set_latency(emulator, 0.0)
    settle = side.cycle()
    set_latency(emulator, config.latency)
    before = github_remaining(emulator)
    emulator.clear_request_log()
    idle = side.cycle()
    idle_log = emulator.request_log
    after = github_remaining(emulator)
    phase.say(f"  {side.name}: idle cycle {idle['wall_s']:.2f} s, {len(idle_log):,} requests")
    changed_links = change_items(emulator, links, config.changed_fraction, batch)
    emulator.clear_request_log()
    changed = side.cycle()
    changed_log = emulator.request_log
    phase.say(f"  {side.name}: cycle after {len(changed_links)} changes {changed['wall_s']:.2f} s")
    set_latency(emulator, 0.0)
    emulator.clear_request_log()
    traced = side.cycle(trace=True)
    traced_log = emulator.request_log
    used = before - after if before is not None and after is not None else None
    return {
        "items": len(links),
        "idle_requests": len(idle_log),
        "changed_requests": len(changed_log),
        "idle_wall_s": idle["wall_s"],
        "changed_wall_s": changed["wall_s"],
        "idle_tracemalloc_peak_bytes": traced["tracemalloc_peak_bytes"],
        # Read before the traced cycle: tracemalloc's own bookkeeping would count.
        "maxrss_bytes": changed["maxrss_bytes"],
        "maxrss_source": changed["maxrss_source"],
        "ru_maxrss_bytes": changed["ru_maxrss_bytes"],
        "maxrss_after_start_bytes": side.ready["maxrss_bytes"],
        "idle_github_rate_limit_used": used,
        "github_rate_limit_remaining": {"before_idle_cycle": before, "after_idle_cycle": after},
        "changed_items": len(changed_links),
        "changes_seen": changed["info"]["changes_seen"],
        "requests": {
            "idle": _requests(idle_log),
            "changed": _requests(changed_log),
            "traced_idle": _requests(traced_log),
        },
        "start_s": side.ready["start_s"],
        "cycles": {
            "settle": settle["info"],
            "idle": idle["info"],
            "changed": changed["info"],
            "traced": traced["info"],
        },
    }


def extrapolate(points: Sequence[dict[str, Any]], size: int) -> dict[str, Any]:
    """Each figure at ``size`` from polls of fewer items: the line through the two largest
    polls; with only one, in proportion for the per-item figures and not at all for memory."""
    ordered = sorted(points, key=lambda p: int(p["items"]))
    out: dict[str, Any] = {}
    for name in FIGURES:
        known = [(int(p["items"]), float(p[name])) for p in ordered if p.get(name) is not None]
        value: float | None = None
        if len(known) >= 2:
            (n1, v1), (n2, v2) = known[-2], known[-1]
            value = v2 + (v2 - v1) / (n2 - n1) * (size - n2)
        elif len(known) == 1 and name in PROPORTIONAL:
            n1, v1 = known[0]
            value = v1 * size / n1
        if value is not None and not name.endswith("_s"):
            value = round(value)
        out[name] = value
    return out


def _ratios(ours: dict[str, Any], naive: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in FIGURES:
        a, b = ours.get(name), naive.get(name)
        out[name] = round(float(a) / float(b), 4) if a is not None and b else None
    return out


def bench_size(config: Config, size: int, workdir: Path, phase: Phase) -> dict[str, Any]:
    """Set up a world of ``size`` action items and measure both sides in it."""
    targets = make_targets(config.jira_projects, config.github_repos)
    folder = workdir / f"size-{size}"
    folder.mkdir(parents=True)
    teams_file = folder / "teams.yaml"
    write_teams(teams_file, targets)
    files = write_definitions(
        folder / "postmortems", size, targets, config.items_per_postmortem, date.today() + timedelta(days=400)
    )
    teams = load_teams(teams_file)
    loaded = load_definitions([folder / "postmortems"], teams)
    if not loaded.ok:
        raise BenchError(f"generated definitions do not load: {loaded.errors[0]}")
    database_url = f"sqlite:///{folder / 'state.db'}"
    phase.say(f"{size:,} action items in {files:,} definitions over {len(targets)} targets")

    emulator = start_emulator(targets)
    try:
        started = time.perf_counter()
        seeded = seed_issues(emulator, loaded.postmortems, teams)
        seed_s = time.perf_counter() - started
        phase.say(f"  seeded {sum(seeded.values()):,} issues in the emulator in {seed_s:.1f} s")
        settings = {
            "postmortems_dir": str(folder / "postmortems"),
            "teams_file": str(teams_file),
            "database_url": database_url,
            "reports_dir": str(folder / "reports"),
            "jira_url": emulator.jira_url,
            "jira_email": JIRA_EMAIL,
            "jira_token": JIRA_TOKEN,
            "github_url": emulator.github_url,
            "github_token": GITHUB_TOKEN,
        }
        ours_spec = {"side": "ours", "settings": settings}

        # Warm-up, at no latency: the first cycle links every item by its marker, the second
        # records what each issue was filed with. A process of its own, so that the linking
        # does not count in the measured process's memory.
        set_latency(emulator, 0.0)
        emulator.clear_request_log()
        with SideProcess("ours-warmup", ours_spec, folder) as warm:
            warmup = [warm.cycle(), warm.cycle()]
        warmup_requests = _requests(emulator.request_log)
        phase.say(f"  warm-up: linking cycle {warmup[0]['wall_s']:.1f} s, second cycle {warmup[1]['wall_s']:.1f} s")
        links, stored = store_links(database_url)
        found = issues_per_target(emulator, targets)
        problems = check_setup(links, stored, seeded, found, size)
        filed = sum(int(w["info"]["events"].get("filed", 0)) for w in warmup)
        if filed:
            problems.append(f"the warm-up filed {filed} issues: the seeded ones were not all found by marker")
        problems += [f"warm-up: {p}" for w in warmup for p in w["info"]["problems"]]
        if problems:
            raise BenchError(f"set-up of {size:,} items failed: " + "; ".join(problems[:10]))
        setup = {
            "definition_files": files,
            "targets": [asdict(t) for t in targets],
            "seeded_issues": dict(sorted(seeded.items())),
            "seed_s": seed_s,
            "linked_items": len(links),
            "issues_filed_twice": 0,
            "warmup_cycles": [
                {"wall_s": w["wall_s"], "actions": w["info"]["actions"], "events": w["info"]["events"]} for w in warmup
            ],
            "warmup_requests": warmup_requests,
        }

        with SideProcess("ours", ours_spec, folder) as side:
            ours = measure(emulator, side, links, config, 0, phase)

        naive_base = {
            "jira_url": emulator.jira_url,
            "jira_email": JIRA_EMAIL,
            "jira_token": JIRA_TOKEN,
            "github_url": emulator.github_url,
            "github_token": GITHUB_TOKEN,
        }
        if size <= config.naive_max:
            spec = {"side": "naive", "naive": {**naive_base, "links": [link.to_json() for link in links]}}
            with SideProcess("naive", spec, folder) as side:
                naive_figures = measure(emulator, side, links, config, 1, phase)
            naive: dict[str, Any] = {"measured": True, "figures": naive_figures}
        else:
            subsets = sorted({n for n in (config.naive_max, config.naive_max // 10) if 0 < n < size}, reverse=True)
            polls = []
            for batch, count in enumerate(subsets, start=1):
                subset = links[:count]
                spec = {"side": "naive", "naive": {**naive_base, "links": [link.to_json() for link in subset]}}
                with SideProcess(f"naive-{count}", spec, folder) as side:
                    polls.append(measure(emulator, side, subset, config, batch, phase))
            naive = {
                "measured": False,
                "extrapolated_from": sorted(subsets),
                "figures": extrapolate(polls, size),
                "polls": polls,
            }
    finally:
        emulator.stop()
    return {
        "size": size,
        "setup": setup,
        "ours": {"measured": True, "figures": ours},
        "naive": naive,
        "ratios": _ratios(ours, naive["figures"]),
    }


def bench_loading(config: Config, workdir: Path, phase: Phase) -> dict[str, Any]:
    """How long ``sync.loader.load_definitions`` takes over ``load_files`` generated files."""
    targets = make_targets(config.jira_projects, config.github_repos)
    folder = workdir / "loading"
    folder.mkdir(parents=True)
    write_teams(folder / "teams.yaml", targets)
    items = config.load_files * config.items_per_postmortem
    files = write_definitions(
        folder / "postmortems", items, targets, config.items_per_postmortem, date.today() + timedelta(days=400)
    )
    teams = load_teams(folder / "teams.yaml")
    runs: list[float] = []
    for _ in range(config.load_repeats):
        gc.collect()
        started = time.perf_counter()
        result = load_definitions([folder / "postmortems"], teams)
        runs.append(time.perf_counter() - started)
        if not result.ok or len(result.postmortems) != files:
            raise BenchError(f"generated definitions do not load: {result.errors[:1]}")
    phase.say(f"loaded and validated {files:,} definition files in {min(runs):.2f} s (best of {len(runs)})")
    return {
        "files": files,
        "action_items": items,
        "runs_s": runs,
        "median_s": statistics.median(runs),
        "best_s": min(runs),
        "note": "our worker only: the naive poller loads no definitions, so there is no ratio",
    }


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        if any(keep.iterdir()):
            raise BenchError(f"--workdir {keep} is not empty")
        yield keep
        return
    path = Path(tempfile.mkdtemp(prefix="pmsync-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run_benchmark(config: Config, *, workdir: Path | None = None, console: Console | None = None) -> dict[str, Any]:
    """Run every measurement of ``config`` and return the report (what is written as JSON)."""
    phase = Phase(console or Console(stderr=True))
    started = datetime.now(UTC)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    with _workdir(workdir) as work:
        loading = bench_loading(config, work, phase)
        results = [bench_size(config, size, work, phase) for size in config.sizes]
    notes = [
        "Each side runs in a process of its own; the emulator runs in the driving process and adds "
        f"{config.latency * 1000:g} ms to every request during the idle and changed cycles.",
        "The tracemalloc cycle runs with no added latency: memory does not depend on the wait.",
        "Peak RSS is each side's process peak after start-up, a settling cycle, the idle and the changed cycle: "
        "VmHWM on Linux, where ru_maxrss keeps the peak of the process that started it; ru_maxrss elsewhere.",
    ]
    if any(not r["naive"]["measured"] for r in results):
        notes.append(
            f"Naive figures above {config.naive_max:,} items are extrapolated (a line through polls of fewer "
            "items of the same world), not measured; they are marked with ~ and *."
        )
    return {
        "benchmark": "polling",
        "date": started.isoformat(timespec="seconds"),
        "duration_s": (datetime.now(UTC) - started).total_seconds(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": list(load) if load is not None else None,
        "config": asdict(config),
        "sizes": list(config.sizes),
        "latency_s": config.latency,
        "targets": {"jira_projects": config.jira_projects, "github_repos": config.github_repos},
        "load_definitions": loading,
        "results": results,
        "notes": notes,
    }


# -- output ---------------------------------------------------------------------------------


def _show(name: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if name.endswith("_s"):
        return f"{value:,.2f} s"
    if name.endswith("_bytes"):
        return f"{value / 2**20:,.1f} MiB"
    return f"{int(value):,}"


def render(report: dict[str, Any], console: Console) -> None:
    config = report["config"]
    console.print(
        f"postmortem-sync polling benchmark, {report['date']}, Python {report['python']}, "
        f"latency {report['latency_s'] * 1000:g} ms, {config['jira_projects']} Jira projects + "
        f"{config['github_repos']} GitHub repositories",
        markup=False,
        highlight=False,
    )
    for result in report["results"]:
        size = result["size"]
        ours, naive = result["ours"]["figures"], result["naive"]["figures"]
        extrapolated = not result["naive"]["measured"]
        table = Table(title=f"{size:,} action items", title_justify="left")
        table.add_column("figure")
        table.add_column("ours", justify="right")
        table.add_column("naive", justify="right")
        table.add_column("ours / naive", justify="right")
        for name in FIGURES:
            label = LABELS[name].format(changed=f"{ours['changed_items']:,}")
            shown = _show(name, naive.get(name))
            if extrapolated and naive.get(name) is not None:
                shown = f"~{shown} *"
            ratio = result["ratios"][name]
            ratio_shown = "n/a" if ratio is None else (f"~{ratio:.3g} *" if extrapolated else f"{ratio:.3g}")
            table.add_row(label, _show(name, ours.get(name)), shown, ratio_shown)
        table.add_row(
            "changes seen", f"{ours['changes_seen']:,}", "" if extrapolated else f"{naive['changes_seen']:,}", ""
        )
        if extrapolated:
            sizes = " and ".join(f"{n:,}" for n in result["naive"]["extrapolated_from"])
            table.caption = f"* extrapolated from naive polls of {sizes} of the {size:,} items, not measured"
        console.print(table)
    loading = report["load_definitions"]
    console.print(
        f"load_definitions: {loading['files']:,} files ({loading['action_items']:,} action items) in "
        f"{loading['median_s']:.2f} s (median of {len(loading['runs_s'])}; ours only)",
        markup=False,
        highlight=False,
    )
    for note in report["notes"]:
        console.print(f"- {note}", markup=False, highlight=False)


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give sizes as numbers separated by commas") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def parse_args(argv: Sequence[str] | None = None) -> tuple[Config, Path, Path | None]:
    parser = argparse.ArgumentParser(prog="python -m bench.polling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_sizes, help="action items per world (default 100,1000,10000)")
    parser.add_argument("--latency", type=float, help="seconds added to every request (default 0.05)")
    parser.add_argument("--out", type=Path, help=f"JSON report (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument(
        "--quick", action="store_true", help="sizes 100,1000 and latency 0.02; report to results-quick.json"
    )
    parser.add_argument(
        "--naive-max",
        type=int,
        default=Config.naive_max,
        help="largest size the naive poller runs over every item; above it, it polls subsets of N and N/10 items "
        "and its figures are extrapolated (default %(default)s)",
    )
    parser.add_argument("--jira-projects", type=int, default=Config.jira_projects)
    parser.add_argument("--github-repos", type=int, default=Config.github_repos)
    parser.add_argument("--items-per-postmortem", type=int, default=Config.items_per_postmortem)
    parser.add_argument("--load-files", type=int, default=Config.load_files, help="definition files loaded and timed")
    parser.add_argument("--workdir", type=Path, help="keep the generated files, stores and side logs here")
    args = parser.parse_args(argv)
    sizes = args.sizes or ((100, 1_000) if args.quick else Config.sizes)
    latency = args.latency if args.latency is not None else (0.02 if args.quick else Config.latency)
    if latency < 0 or args.naive_max < 1 or args.items_per_postmortem < 1 or args.load_files < 1:
        parser.error("--latency must be >= 0; --naive-max, --items-per-postmortem and --load-files >= 1")
    config = Config(
        sizes=sizes,
        latency=latency,
        naive_max=args.naive_max,
        jira_projects=args.jira_projects,
        github_repos=args.github_repos,
        items_per_postmortem=args.items_per_postmortem,
        load_files=args.load_files,
        quick=args.quick,
    )
    out = args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)
    return config, out, args.workdir


def main(argv: Sequence[str] | None = None) -> int:
    config, out, workdir = parse_args(argv)
    console = Console()
    try:
        report = run_benchmark(config, workdir=workdir, console=Console(stderr=True))
    except BenchError as exc:
        console.print(f"benchmark failed: {exc}", markup=False, highlight=False)
        return 1
    render(report, console)
    write_report(report, out)
    console.print(f"written to {out}", markup=False, highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
