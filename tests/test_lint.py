"""The project's own checks: ruff, mypy and hadolint stay clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_ruff() -> None:
    out = _run(_tool("ruff"), "check", ".")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict() -> None:
    out = _run(_tool("mypy"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfile_lints_clean() -> None:
    out = _run(_tool("hadolint"), "Dockerfile")
    assert out.returncode == 0, out.stdout + out.stderr


def test_dockerfile_installs_as_the_readme_does() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "pip install" in readme and "RUN pip install --no-cache-dir ." in dockerfile
    assert "USER 10001" in dockerfile and 'CMD ["run"]' in dockerfile


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    blocks = [b.split("```")[0].strip() for b in readme.split("```sh\n")[1:3]]
    demo_command, test_command = blocks
    assert "postmortem-sync demo" in demo_command
    assert test_command in ci.splitlines()
