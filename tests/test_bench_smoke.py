"""The polling benchmark's core at a tiny size: it sets up, measures both sides and reports
every figure. Its figures are not judged here: they are benchmark results, not timed tests."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bench.polling import FIGURES, Config, extrapolate, parse_args, render, run_benchmark, write_report

TINY = Config(sizes=(20,), latency=0.0, naive_max=20, jira_projects=2, github_repos=2, load_files=5, load_repeats=1)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("bench")
    result = run_benchmark(TINY, workdir=workdir / "work", console=Console(file=io.StringIO()))
    out = workdir / "results.json"
    write_report(result, out)
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


def test_the_report_says_what_was_run(report: dict[str, Any]) -> None:
    assert report["sizes"] == [20]
    assert report["latency_s"] == 0.0
    assert report["python"] and report["date"]
    assert report["targets"] == {"jira_projects": 2, "github_repos": 2}
    assert report["load_definitions"]["files"] == 5
    assert report["load_definitions"]["median_s"] > 0


def test_every_item_is_linked_once_after_set_up(report: dict[str, Any]) -> None:
    setup = report["results"][0]["setup"]
    assert setup["linked_items"] == 20
    assert sum(setup["seeded_issues"].values()) == 20
    assert setup["warmup_cycles"][0]["events"] == {"linked": 20}


def test_both_sides_report_every_figure_and_the_ratios(report: dict[str, Any]) -> None:
    result = report["results"][0]
    assert result["naive"]["measured"] is True
    for side in ("ours", "naive"):
        figures = result[side]["figures"]
        for name in FIGURES:
            assert name in figures, (side, name)
        assert figures["changed_items"] == 1
        # The change made between cycles is seen (a check of the set-up, not of speed).
        assert figures["changes_seen"] == 1
    assert set(result["ratios"]) == set(FIGURES)


def test_our_idle_cycle_request_count_is_reported(report: dict[str, Any]) -> None:
    ours = report["results"][0]["ours"]["figures"]
    assert isinstance(ours["idle_requests"], int)
    assert ours["idle_requests"] == ours["requests"]["idle"]["total"]
    assert ours["requests"]["idle"]["failed"] == 0
    assert ours["cycles"]["idle"]["actions"] == {}  # nothing changed: an idle cycle


def test_the_table_renders(report: dict[str, Any]) -> None:
    out = io.StringIO()
    render(report, Console(file=out, width=120))
    assert "requests per idle cycle" in out.getvalue()


def test_extrapolation_is_a_line_through_the_two_largest_polls() -> None:
    def poll(items: int, scale: float) -> dict[str, Any]:
        return {name: scale * items + 5 for name in FIGURES} | {"items": items}

    out = extrapolate([poll(10, 2.0), poll(100, 2.0)], 1000)
    assert out["idle_requests"] == 2005
    assert out["idle_wall_s"] == pytest.approx(2005.0)
    # One poll: per-item figures in proportion, memory not at all.
    single = extrapolate([poll(100, 1.0)], 1000)
    assert single["idle_requests"] == 1050
    assert single["maxrss_bytes"] is None


def test_quick_means_two_sizes_at_20_ms(tmp_path: Path) -> None:
    config, out, _ = parse_args(["--quick"])
    assert config.sizes == (100, 1000) and config.latency == 0.02
    assert out.name == "results-quick.json"
    config, out, _ = parse_args(["--sizes", "5,50", "--latency", "0", "--out", str(tmp_path / "r.json")])
    assert config.sizes == (5, 50) and config.latency == 0 and out == tmp_path / "r.json"
