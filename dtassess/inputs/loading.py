"""Every input of a run at once: response files, folders and exports, of one or several periods.

`load_periods` is what the `score`, `roadmap`, `report` and `archive add` commands read: response
files and online-form exports together, and with a version map the responses of an older
questionnaire too, with how the two versions compare. It sits at the top of the inputs stage
because it uses every reader below it (`responses`, `exports`, `mapping`, `versions`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import DtassessError, Problem
from .exports import ExportOptions, load_exports
from .questionnaire import Questionnaire
from .responses import ResponseSet, concat_sets
from .versions import Comparison


def load_periods(
    paths: Sequence[str | Path],
    questionnaire: Questionnaire | str | Path | None = None,
    options: ExportOptions | None = None,
    version_map: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ResponseSet, list[tuple[ResponseSet, Comparison]]]:
    """Response files and exports of one or more periods, as a ResponseSet and older versions'.

    Those answering the current questionnaire; with a version map, also those answering the
    older version it names, with how the two compare."""
    if version_map is None:
        return _load_files(paths, questionnaire, options, progress), []
    from .questionnaire import load_questionnaire
    from .responses import expand_paths, questionnaire_ref_of
    from .tables import is_export
    from .versions import compare, load_version_map

    vmap = load_version_map(version_map)
    old = _questionnaire_beside(vmap.source, vmap.path)
    if questionnaire is None and vmap.target is not None:
        questionnaire = _questionnaire_beside(vmap.target, vmap.path)
    if isinstance(questionnaire, str | Path):
        questionnaire = load_questionnaire(questionnaire)
    files = [p for p in paths if not (is_export(p) and Path(p).is_file())]
    found = expand_paths(files) if files else []
    older = [f for f in found if questionnaire_ref_of(f) == old.ref]
    newer = [p for p in paths if p not in files] + [f for f in found if f not in older]
    if questionnaire is None or questionnaire.ref == old.ref:
        raise DtassessError(
            Problem(
                "V002",
                f"the version map {vmap.path} compares {old.ref} with a newer version: name "
                "it with to: in the map or with -q",
                vmap.path,
            )
        )
    if not older or not newer:
        which = "older" if not older else "newer"
        raise DtassessError(
            Problem(
                "V002",
                f"no response answers the {which} questionnaire "
                f"({old.ref if not older else questionnaire.ref}) of the version map "
                f"{vmap.path}: give the responses of both versions",
                vmap.path,
            )
        )
    current = _load_files(newer, questionnaire, options, progress)
    before = _load_files(older, old, options, progress)
    return current, [(before, compare(old, current.questionnaire, vmap))]


def _questionnaire_beside(ref: str, beside: str) -> Questionnaire:
    """A questionnaire named in a file: a path relative to that file, or a bundled id."""
    from .questionnaire import load_questionnaire

    near = Path(beside).parent / ref
    return load_questionnaire(near if near.is_file() else ref)


def _load_files(
    paths: Sequence[str | Path],
    questionnaire: Questionnaire | str | Path | None = None,
    options: ExportOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ResponseSet:
    """Response files, folders of them and online-form exports (CSV, XLSX, Parquet) of one
    questionnaire as one ResponseSet. Exports do not name their questionnaire: it comes from
    `questionnaire` or from the response files given with them. Raises DtassessError on errors;
    warnings are in `.problems`."""
    from ..files import require_regular_file
    from .distinct import distinct_files
    from .exportmaps import load_mappings
    from .questionnaire import load_questionnaire
    from .responses import load_responses
    from .tables import is_export

    options = options or ExportOptions()
    # An export that is not a regular file (a FIFO, a device) is refused before anything is read
    exports = [Path(p) for p in paths if is_export(p) and Path(p).exists() and not Path(p).is_dir()]
    for export in exports:
        require_regular_file(export)
    files = [p for p in paths if Path(p) not in exports]
    exports, repeated = distinct_files(exports)
    sets: list[ResponseSet] = []
    q = questionnaire
    if files:
        sets.append(load_responses(files, q, progress))
        q = sets[0].questionnaire
    if exports:
        if q is None:
            raise DtassessError(
                Problem(
                    "F002",
                    "an export does not name its questionnaire; pass -q (for example -q gov-dt)",
                    str(exports[0]),
                )
            )
        if not isinstance(q, Questionnaire):
            q = load_questionnaire(q)
        mapping = load_mappings(options.mapping, exports, q)
        sets.append(
            load_exports(
                exports,
                q,
                encoding=options.encoding,
                mapping=mapping,
                strict=options.strict,
                org=options.org,
                org_name=options.org_name,
                period=options.period,
            )
        )
    loaded = concat_sets(sets[0].questionnaire, sets)
    loaded.problems[:0] = repeated
    return loaded


def load_inputs(
    paths: Sequence[str | Path],
    questionnaire: Questionnaire | str | Path | None = None,
    options: ExportOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ResponseSet:
    """Deprecated, kept for one release: `load_periods(...)[0]`, under its old name.

    That is `load_periods(paths, questionnaire, options, progress=progress)[0]`."""
    return load_periods(paths, questionnaire, options, progress=progress)[0]
