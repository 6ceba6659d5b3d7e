"""The bad-input corpus: every file in ``tests/bad_input/`` is a broken post-mortem definition.

``CASES`` says, for each file, the line and field its error must name and a fragment of the
message. The tests prove, for every case:

1. the error names the file, the exact line and the exact field (per case, parametrized);
2. with every corpus file in one folder next to the good example definitions, the good
   post-mortems' items are each filed exactly once and nothing is filed from a bad file;
3. the ``sync --once`` process ends normally: exit code 1 ("needs attention"), no traceback;
4. the state store holds nothing from the bad files, and later cycles file nothing new.

Two cases are not committed as they are used: ``oversized.yaml`` is generated at test time
(one byte over :data:`config.yamlfile.DEFAULT_MAX_BYTES`), and ``id-changed-after-filing.yaml``
is first synced under its earlier id (``filed_as``) and only then used as committed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.teams import load_teams
from config.yamlfile import DEFAULT_MAX_BYTES, SourceError
from connectors.base import ItemKey
from sync.loader import load_definitions
from sync.store import Store
from tests.e2e import CERT, PAYMENT, World

ROOT = Path(__file__).resolve().parents[1]
BAD_INPUT = Path(__file__).resolve().parent / "bad_input"
EXAMPLE_FILES = tuple(sorted((ROOT / "examples" / "postmortems").glob("*.yaml")))
TEAMS = load_teams(ROOT / "examples" / "teams.yaml")
#: What ``sync`` prints before each definition error.
SKIPPED = "✗ invalid definition skipped: "


@dataclass(frozen=True)
class Case:
    """One corpus file and the one error it must produce."""

    file: str
    line: int | None
    field: str | None
    fragment: str
    #: Written at test time instead of committed (see :func:`_oversized`).
    generated: bool = False
    #: The id the file's items were filed under before its id was changed to the committed one.
    filed_as: str | None = None

    def located(self, path: Path) -> str:
        """How ``str(SourceError)`` begins for this case: ``path:line: field: ``."""
        where = str(path) if self.line is None else f"{path}:{self.line}"
        return f"{where}: {self.field}: " if self.field else f"{where}: "


CASES: tuple[Case, ...] = (
    # -- not YAML at all, or not text ------------------------------------------------------
    Case("syntax-colon-in-value.yaml", 3, None, "a ':' is not allowed here"),
    Case("syntax-unclosed-quote.yaml", 8, None, "this quote is not closed"),
    Case("tab-indentation.yaml", 9, None, "a tab is used for indentation"),
    Case("alias-bomb.yaml", 13, "lol2[0]", "YAML aliases (*lol1) are not allowed"),
    Case(
        "oversized.yaml",
        None,
        None,
        f"file is too big ({DEFAULT_MAX_BYTES + 1:,} bytes; the limit is {DEFAULT_MAX_BYTES:,} bytes)",
        generated=True,
    ),
    Case("utf16-encoded.yaml", 1, None, "binary file, not YAML text (it contains NUL bytes); if it is UTF-16"),
    Case("png-renamed.yaml", 3, None, "this is a binary file, not YAML text"),
    Case("nul-byte.yaml", 8, None, "this is a binary file, not YAML text (it contains NUL bytes)"),
    Case("latin1-encoded.yaml", 3, None, "not valid UTF-8 text (byte 0xE9); save the file as UTF-8"),
    Case("control-character.yaml", 3, None, "contains a control character (U+001B)"),
    Case("python-object-tag.yaml", 3, "title", "YAML tags such as tag:yaml.org,2002:python/object/apply:os.system"),
    Case("deep-nesting.yaml", 12, "summary[0]", "nested more than 32 levels deep"),
    Case("yaml-1-1-directive.yaml", 1, None, "only YAML 1.2 is read; remove the '%YAML 1.1' line"),
    # -- YAML, but not one mapping ---------------------------------------------------------
    Case("empty.yaml", None, None, "file is empty"),
    Case("only-comments.yaml", None, None, "file is empty (it has only comments)"),
    Case("multiple-documents.yaml", 12, None, "the file holds more than one YAML document"),
    Case("top-level-list.yaml", 2, None, "must be a mapping of fields (key: value) at the top level, not a list"),
    Case(
        "duplicate-key.yaml", 12, "action_items[0].priority", 'duplicate key "priority": it is already set on line 11'
    ),
    # -- a mapping, but not a valid post-mortem ----------------------------------------------
    Case("missing-id.yaml", 1, "id", "required field is missing"),
    Case("missing-title.yaml", 1, "title", "required field is missing"),
    Case("missing-severity.yaml", 1, "severity", "required field is missing"),
    Case("missing-detected-at.yaml", 1, "detected_at", "required field is missing"),
    Case("missing-action-items.yaml", 1, "action_items", "required field is missing"),
    Case("empty-action-items.yaml", 6, "action_items", "needs at least 1 entry"),
    Case("missing-description.yaml", 7, "action_items[0].description", "required field is missing"),
    Case("missing-owner.yaml", 7, "action_items[0].owner", "required field is missing"),
    Case("missing-deadline.yaml", 7, "action_items[0].deadline", "required field is missing"),
    Case("action-items-as-text.yaml", 6, "action_items", 'must be a list ("Add a retry budget'),
    Case("action-item-without-dash.yaml", 6, "action_items", "must be a list"),
    Case("action-items-as-sentences.yaml", 7, "action_items[0]", "must be a mapping of fields (key: value)"),
    Case("title-as-number.yaml", 3, "title", 'must be text (404); put it in quotes: "404"'),
    Case("misspelt-item-field.yaml", 10, "action_items[0].deadlne", 'unknown field (did you mean "deadline"?)'),
    Case("unknown-top-level-field.yaml", 6, "root_cause", "unknown field (check the spelling; allowed here: "),
    Case("path-traversal-id.yaml", 2, "id", "may use only letters, digits and . _ : - (no spaces), starting with"),
    Case("invalid-severity.yaml", 4, "severity", 'must be one of: P1, P2, P3, P4 ("SEV-1")'),
    Case(
        "unknown-priority.yml", 11, "action_items[0].priority", 'must be one of: critical, high, medium, low ("urgent")'
    ),
    Case("bom-then-bad-priority.yaml", 11, "action_items[0].priority", "must be one of: critical, high, medium, low"),
    Case("impossible-date.yaml", 10, "action_items[0].deadline", 'not a valid date ("2024-02-30")'),
    Case("deadline-tomorrow.yaml", 10, "action_items[0].deadline", 'not a valid date ("tomorrow")'),
    Case("detected-at-without-timezone.yaml", 5, "detected_at", "needs a timezone (2024-05-02T09:15:00)"),
    Case("resolved-before-detected.yaml", 6, "resolved_at", "is earlier than detected_at"),
    Case("overlong-title.yaml", 3, "title", "is too long (at most 250 characters)"),
    Case("overlong-description.yaml", 8, "action_items[0].description", "is too long (at most 4000 characters)"),
    Case(
        "duplicate-item-id.yaml",
        12,
        "action_items[1].id",
        'action item id "AI-1" is used twice in this post-mortem (first at action_items[0], line 7)',
    ),
    Case("unknown-team.yaml", 9, "action_items[0].owner", 'owner "Security Team" is not a configured team'),
    Case("owner-is-a-person.yaml", 9, "action_items[0].owner", 'owner "jane.doe@example.com" looks like a person'),
    # -- Markdown definitions ----------------------------------------------------------------
    Case("markdown-front-matter-unclosed.md", 1, None, "the front matter opened here is never closed"),
    Case("markdown-front-matter-bad-yaml.md", 5, None, "a ':' is not allowed here"),
    Case("markdown-no-action-items.md", 6, "action_items", 'no "## Action Items" section'),
    Case("markdown-action-items-as-list.md", 10, "action_items", "expected only a table (ID | Description | Owner"),
    # -- a clash with another file, or with what was filed before ------------------------------
    Case("reused-id-of-payment-outage.yaml", 2, "id", f'post-mortem id "{PAYMENT}" is already used by '),
    Case(
        "id-changed-after-filing.yaml",
        2,
        "id",
        'the post-mortem id changed from "INC-2024-077" to "INC-2024-078", but its action items are already filed',
        filed_as="INC-2024-077",
    ),
)
(ID_CHANGE,) = [case for case in CASES if case.filed_as is not None]
STATIC = tuple(case for case in CASES if case.filed_as is None)


def _oversized() -> bytes:
    """A valid definition made one byte too big by a pasted log (a comment)."""
    text = (
        b"# A valid definition, but one byte over the size limit: a whole log was pasted below.\n"
        b"id: INC-2024-147\ntitle: Search results stale after an index rebuild\nseverity: P3\n"
        b"detected_at: 2024-05-02T09:15:00Z\naction_items:\n"
        b"  - {id: AI-1, description: Rotate the logs., owner: Edge Team, deadline: 2024-05-16, priority: low}\n"
    )
    line = b"# 2024-05-02T09:15:00Z index-rebuild[311]: copied shard 0042 of 2048 (12.5 MiB)\n"
    body = text + line * ((DEFAULT_MAX_BYTES - len(text)) // len(line) + 1)
    return body[:DEFAULT_MAX_BYTES] + b"\n"


def _before_the_id_change(case: Case) -> str:
    """The case's file as it was when its items were filed: under ``filed_as``."""
    assert case.filed_as is not None
    text = (BAD_INPUT / case.file).read_text(encoding="utf-8")
    before, count = re.subn(r"^id: .*$", f"id: {case.filed_as}", text, count=1, flags=re.MULTILINE)
    assert count == 1
    return before


def _place(case: Case, folder: Path) -> Path:
    """The case's file, in ``folder`` as committed (or generated)."""
    path = folder / case.file
    if case.generated:
        path.write_bytes(_oversized())
    else:
        shutil.copyfile(BAD_INPUT / case.file, path)
    return path


def _corpus_path(case: Case, tmp_path: Path) -> Path:
    """Where to read the case from: the corpus itself, or a generated copy in ``tmp_path``."""
    return _place(case, tmp_path) if case.generated else BAD_INPUT / case.file


def _assert_names_file_line_and_field(case: Case, path: Path, errors: Sequence[SourceError]) -> None:
    assert [(error.path, error.line, error.field) for error in errors] == [(str(path), case.line, case.field)], errors
    (error,) = errors
    assert case.fragment in error.message, error.message
    shown = str(error)
    assert shown.startswith(case.located(path)), shown
    # What reaches a terminal or a log is one printable line, whatever the file held.
    assert shown.isprintable(), repr(shown)


# -------------------------------------------------------------------- 1. file, line, field


@pytest.mark.parametrize("case", STATIC, ids=[case.file for case in STATIC])
def test_the_error_names_the_file_line_and_field(case: Case, tmp_path: Path) -> None:
    path = _corpus_path(case, tmp_path)
    result = load_definitions([*EXAMPLE_FILES, path], TEAMS)
    _assert_names_file_line_and_field(case, path, result.errors)
    # The examples load next to it, whatever it holds (and the one whose id it reuses keeps it).
    assert sorted(loaded.postmortem.id for loaded in result.postmortems) == sorted([CERT, PAYMENT])
    assert [loaded.path for loaded in result.postmortems] == list(EXAMPLE_FILES)


@pytest.mark.parametrize("case", [ID_CHANGE], ids=[ID_CHANGE.file])
def test_a_changed_id_is_refused_once_its_items_are_filed(case: Case, world: World) -> None:
    path = world.postmortems / case.file
    path.write_text(_before_the_id_change(case), encoding="utf-8")
    engine = world.engine()
    first = engine.run_cycle()
    assert first.ok, first.definition_errors
    filed = world.issue_count()
    shutil.copyfile(BAD_INPUT / case.file, path)
    second = engine.run_cycle()
    _assert_names_file_line_and_field(case, path, second.definition_errors)
    assert "filed" not in [event.kind for event in second.events]
    assert world.issue_count() == filed


def test_the_generated_file_is_refused_for_its_size_alone(tmp_path: Path) -> None:
    content = _oversized()
    assert len(content) == DEFAULT_MAX_BYTES + 1
    at_the_limit = tmp_path / "at-the-limit.yaml"
    at_the_limit.write_bytes(content[:-2] + b"\n")
    result = load_definitions([at_the_limit], TEAMS)
    assert result.errors == [] and [lp.postmortem.id for lp in result.postmortems] == ["INC-2024-147"]


def test_every_corpus_file_has_a_case() -> None:
    committed = sorted(path.name for path in BAD_INPUT.iterdir() if not path.name.startswith("."))
    assert committed == sorted(case.file for case in CASES if not case.generated)
    assert len(CASES) >= 32


# -------------------------------------------------------------------- 2-4. all together


def _sync_once(world: World) -> subprocess.CompletedProcess[str]:
    """``sync --once``: it must end on its own with "needs attention", never a traceback."""
    out = world.cli("sync", "--once")
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1].startswith("Needs attention: "), out.stdout
    return out


def _assert_reported(out: subprocess.CompletedProcess[str], placed: Iterable[tuple[Case, Path]]) -> None:
    lines = [line.removeprefix(SKIPPED) for line in out.stdout.splitlines() if line.startswith(SKIPPED)]
    expected = list(placed)
    for case, path in expected:
        about = [line for line in lines if line.startswith(f"{path}:")]
        assert len(about) == 1, (case.file, about)
        assert about[0].startswith(case.located(path)) and case.fragment in about[0], about[0]
    assert len(lines) == len(expected), lines


def _filed(world: World) -> Counter[str]:
    """How many issues the trackers hold for each post-mortem id (issue titles start ``[id]``)."""
    counts: Counter[str] = Counter()
    for issue in world.all_issues():
        title = issue["fields"]["summary"] if "fields" in issue else issue["title"]
        match = re.match(r"\[([^\]]+)\] ", title)
        assert match is not None, title
        counts[match[1]] += 1
    return counts


def _stored(world: World) -> tuple[dict[str, str], dict[ItemKey, str | None]]:
    """The store's post-mortems (id -> source file) and action items (key -> issue)."""
    store = Store(world.database_url)
    try:
        snapshot = store.snapshot()
    finally:
        store.close()
    assert snapshot.tracking == {}
    return (
        {pm.id: pm.source_path for pm in snapshot.postmortems.values()},
        {key: item.issue_key for key, item in snapshot.items.items()},
    )


def test_bad_files_leave_every_good_postmortem_syncing(world: World) -> None:
    placed = [(case, _place(case, world.postmortems)) for case in STATIC]
    renamed = world.postmortems / ID_CHANGE.file
    renamed.write_text(_before_the_id_change(ID_CHANGE), encoding="utf-8")
    good = load_definitions([world.postmortems / path.name for path in EXAMPLE_FILES] + [renamed], TEAMS)
    assert good.ok
    assert ID_CHANGE.filed_as is not None
    wanted = {ItemKey(lp.postmortem.id, item.id) for lp in good.postmortems for item in lp.postmortem.action_items}
    sources = {lp.postmortem.id: str(lp.path) for lp in good.postmortems}
    per_postmortem = Counter(key.postmortem_id for key in wanted)
    assert set(per_postmortem) == {PAYMENT, CERT, ID_CHANGE.filed_as}

    # Cycle 1: the good post-mortems are filed, every bad file is reported and skipped.
    first = _sync_once(world)
    _assert_reported(first, placed)
    assert sum(line.startswith("+ filed ") for line in first.stdout.splitlines()) == len(wanted)
    assert _filed(world) == per_postmortem
    postmortems, items = _stored(world)
    assert postmortems == sources
    assert set(items) == wanted
    assert None not in items.values() and len(set(items.values())) == len(items)

    # Cycle 2: the id of an already filed post-mortem changes; it is refused, not filed again.
    shutil.copyfile(BAD_INPUT / ID_CHANGE.file, renamed)
    second = _sync_once(world)
    _assert_reported(second, [*placed, (ID_CHANGE, renamed)])
    assert "+ filed " not in second.stdout
    assert _filed(world) == per_postmortem
    assert _stored(world) == (postmortems, items)

    # Cycle 3: nothing changed, so nothing new is filed and the store stays as it was.
    third = _sync_once(world)
    _assert_reported(third, [*placed, (ID_CHANGE, renamed)])
    assert "+ filed " not in third.stdout
    assert _filed(world) == per_postmortem
    assert _stored(world) == (postmortems, items)
