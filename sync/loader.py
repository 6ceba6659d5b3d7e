"""Loading post-mortem definitions (YAML or Markdown files) into :class:`~sync.model.PostMortem` models.

Nothing is lost: every problem of a file is reported with its line and field, a broken file
is skipped, and every other file still loads. Checks that need more than one file or the
teams file happen here, on the raw data, so they are reported even when the same file has
other problems:

* every action item's ``owner`` is a configured team (owners are teams, never people);
* action-item ids are unique within a post-mortem;
* post-mortem ids are unique across files: the first file in sorted path order keeps the
  id, and later files using it are skipped with an error naming the first.

Markdown definitions (``*.md``) are turned into the same data by
:mod:`sync.markdown_definition`; everything from validation on is shared with YAML.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from config.teams import closest_name
from config.validation_messages import errors_from_validation, merge_errors
from config.yamlfile import (
    DEFAULT_MAX_BYTES,
    LineMap,
    SourceError,
    SourceErrors,
    YamlDocument,
    YamlError,
    load_yaml,
)
from sync.markdown_definition import MarkdownError, is_markdown, load_markdown, looks_like_postmortem
from sync.model import IDENTIFIER_PATTERN, TRACKING_ISSUE_PATTERN, DuplicateItemId, PostMortem

YAML_SUFFIXES = (".yaml", ".yml")

#: The model's formats in words, for "has the wrong format" errors.
PATTERN_HINTS = {
    IDENTIFIER_PATTERN: ("may use only letters, digits and . _ : - (no spaces), starting with a letter or digit"),
    TRACKING_ISSUE_PATTERN: ("must be a GitHub issue (owner/repo#12) or a Jira issue key (PLAT-12)"),
}


class DefinitionError(SourceErrors):
    """A definition cannot be used; ``errors`` lists every problem found in it."""


@dataclass(frozen=True)
class LoadedPostMortem:
    """A post-mortem that loaded cleanly, where it came from and where its fields are."""

    postmortem: PostMortem
    path: Path
    lines: LineMap = field(default_factory=LineMap, compare=False, repr=False)


@dataclass
class LoadResult:
    """Everything :func:`load_definitions` found: the good post-mortems and the problems."""

    postmortems: list[LoadedPostMortem] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file loaded."""
        return not self.errors


def load_definition(
    path: str | os.PathLike[str],
    teams: Collection[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PostMortem:
    """Load one definition; raise :class:`DefinitionError` with every problem in it.

    ``teams`` is the configured team names (a :class:`config.teams.Teams` will do).
    """
    return read_definition(path, teams, max_bytes=max_bytes).postmortem


def read_definition(
    path: str | os.PathLike[str],
    teams: Collection[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> LoadedPostMortem:
    """Like :func:`load_definition`, but keeps the path and the line of every field."""
    return _validate(_read_document(path, max_bytes), teams)


def load_definitions(
    paths: Iterable[str | os.PathLike[str]],
    teams: Collection[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    established: Collection[str] = (),
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> LoadResult:
    """Load every definition in ``paths`` (files, or folders searched recursively).

    Never raises for a bad definition: each problem is in ``errors`` and the file is left
    out of ``postmortems``. When two files claim one post-mortem id, a file named in
    ``established`` (where the worker already knows that post-mortem from) keeps it, so a
    copied template or a draft cannot push an existing post-mortem out; otherwise the first
    file by path does.
    """
    files, errors = find_definition_files(paths)
    # The teams file may sit among the definitions; it is not one of them.
    left_out = {os.path.realpath(p) for p in exclude}
    files = [f for f in files if os.path.realpath(f) not in left_out]
    known = {os.path.normpath(p) for p in established}
    files.sort(key=lambda p: (os.path.normpath(p) not in known, p.as_posix()))
    result = LoadResult(errors=errors)
    # id -> (file, line) of the first file that claimed it.
    claimed: dict[str, tuple[str, int | None]] = {}
    for path in files:
        try:
            doc = _read_document(path, max_bytes)
        except DefinitionError as exc:
            result.errors.extend(_at_most(exc.errors))
            continue
        # Claim the id before validating, so a file with other problems still keeps its id:
        # otherwise fixing that file would suddenly push a later one out.
        pm_id = _raw_id(doc)
        if pm_id is not None:
            first = claimed.get(pm_id)
            if first is not None:
                first_path, first_line = first
                where = f"{first_path} (line {first_line})" if first_line else first_path
                result.errors.append(
                    doc.error(
                        ("id",),
                        f'post-mortem id "{pm_id}" is already used by {where}; give this post-mortem its own id',
                    )
                )
                continue
            claimed[pm_id] = (doc.path, doc.lines.line_of(("id",)))
        try:
            result.postmortems.append(_validate(doc, teams))
        except DefinitionError as exc:
            result.errors.extend(_at_most(exc.errors))
    return result


#: Problems reported per file; a file with more is mostly noise after the first few.
MAX_ERRORS_PER_FILE = 25


def _at_most(errors: Sequence[SourceError], limit: int = MAX_ERRORS_PER_FILE) -> list[SourceError]:
    if len(errors) <= limit:
        return list(errors)
    rest = len(errors) - limit
    return [*errors[:limit], SourceError(errors[0].path, None, None, f"and {rest} more problems in this file")]


def find_definition_files(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[Path], list[SourceError]]:
    """The definition files named by ``paths``, sorted, plus errors for unusable paths.

    Folders are searched recursively for ``*.yaml``, ``*.yml`` and Markdown post-mortems,
    skipping hidden files and folders (editor swap files, ``.git``). Other Markdown files (a
    README, notes) are left out: see :func:`sync.markdown_definition.looks_like_postmortem`.
    A file named explicitly is read whatever its name.
    """
    found: dict[str, Path] = {}
    errors: list[SourceError] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for file in _walk(path, errors):
                found.setdefault(os.path.normpath(file), file)
        elif path.is_file():
            found.setdefault(os.path.normpath(path), path)
        elif path.exists():
            errors.append(SourceError(path, None, None, "not a regular file or folder"))
        else:
            errors.append(SourceError(path, None, None, "no such file or folder"))
    return sorted(found.values(), key=lambda p: p.as_posix()), errors


def _walk(root: Path, errors: list[SourceError]) -> Iterable[Path]:
    def unreadable(exc: OSError) -> None:
        errors.append(SourceError(exc.filename or root, None, None, "cannot read this folder"))

    for folder, subfolders, names in os.walk(root, onerror=unreadable):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            path = Path(folder, name)
            wanted = name.lower().endswith(YAML_SUFFIXES) or is_markdown(name)
            if wanted and not path.is_file():
                # A pipe or a device would block the worker on open(); a dangling link reads nothing.
                errors.append(SourceError(path, None, None, "not a regular file; skipped"))
                continue
            if name.lower().endswith(YAML_SUFFIXES) or (is_markdown(name) and looks_like_postmortem(path)):
                yield path


def _read_document(path: str | os.PathLike[str], max_bytes: int) -> YamlDocument:
    """The data and field lines of one file, Markdown or YAML by its name."""
    try:
        if is_markdown(path):
            return load_markdown(path, max_bytes=max_bytes)
        return load_yaml(path, max_bytes=max_bytes)
    except YamlError as exc:
        raise DefinitionError([exc]) from None
    except MarkdownError as exc:
        raise DefinitionError(exc.errors) from None


def _validate(doc: YamlDocument, teams: Collection[str]) -> LoadedPostMortem:
    """The model of ``doc``, or :class:`DefinitionError` with every problem found."""
    errors = _check_items(doc, teams)
    try:
        postmortem = PostMortem.model_validate(doc.data)
    except ValidationError as exc:
        found = errors_from_validation(exc, doc, model=PostMortem, pattern_hints=PATTERN_HINTS)
        raise DefinitionError(merge_errors(errors, found)) from None
    if errors:
        raise DefinitionError(errors)
    return LoadedPostMortem(postmortem, Path(doc.path), doc.lines)


def _raw_id(doc: YamlDocument) -> str | None:
    value = doc.data.get("id")
    return (value.strip() or None) if isinstance(value, str) else None


def _check_items(doc: YamlDocument, teams: Collection[str]) -> list[SourceError]:
    """Owner and duplicate-id checks on the raw action items (the model may fail elsewhere)."""
    items = doc.data.get("action_items")
    if not isinstance(items, list):
        return []
    errors: list[SourceError] = []
    tracking_team = doc.data.get("create_tracking_issue")
    if isinstance(tracking_team, str) and tracking_team.strip() and tracking_team.strip() not in teams:
        errors.append(doc.error(("create_tracking_issue",), _owner_problem(tracking_team, teams)))
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        owner = item.get("owner")
        if isinstance(owner, str) and owner.strip() and owner.strip() not in teams:
            errors.append(doc.error(("action_items", index, "owner"), _owner_problem(owner, teams)))
        item_id = item.get("id")
        if not isinstance(item_id, str | int) or isinstance(item_id, bool):
            continue
        key = str(item_id).strip()
        if key in first_index:
            first = first_index[key]
            line = doc.lines.line_of(("action_items", first, "id"))
            errors.append(
                doc.error(
                    ("action_items", index, "id"),
                    f"{DuplicateItemId(key, index)} (first at action_items[{first}], line {line}); "
                    "ids must stay unique and stable",
                )
            )
        else:
            first_index[key] = index
    return errors


def _owner_problem(owner: str, teams: Collection[str]) -> str:
    owner = owner.strip()
    if "@" in owner:
        problem = f'owner "{owner}" looks like a person; action items are owned by a team, never by an individual'
    else:
        problem = f'owner "{owner}" is not a configured team'
        guess = closest_name(owner, teams)
        if guess is not None:
            problem += f' (did you mean "{guess}"?)'
    return f"{problem}; configured teams: {_list_names(teams)}"


def _list_names(names: Collection[str], limit: int = 12) -> str:
    if not names:
        return "none (the teams file is empty)"
    ordered = sorted(names)
    shown = ", ".join(ordered[:limit])
    return shown if len(ordered) <= limit else f"{shown} and {len(ordered) - limit} more"


__all__ = [
    "PATTERN_HINTS",
    "YAML_SUFFIXES",
    "DefinitionError",
    "LoadResult",
    "LoadedPostMortem",
    "find_definition_files",
    "load_definition",
    "load_definitions",
    "read_definition",
]
