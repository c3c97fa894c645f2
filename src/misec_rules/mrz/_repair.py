"""OCR repair: correct confusable characters only where check digits or position rules confirm it.

Two kinds of evidence, used in this order:

1. **Position rules** (no check digit needed). A character the field cannot hold
   is replaced by its only confusable that the field can hold (a digit in a
   name, ``K`` for the sex, a letter in a date); a state code that is not on
   the code list is replaced by the unique nearest code that is; a ``K`` in the
   filler run at the end of a field becomes ``<``.  Changes outside names that
   no check digit can confirm carry a ``repair_unconfirmed`` warning, name
   changes a ``repair_name_uncertain`` warning.
2. **Check digits.** Over every position a check digit covers, the smallest
   set of substitutions that makes every check digit pass is searched for, up
   to :data:`MAX_CHANGES` changes.  Only two kinds of substitution are tried: a
   character the field cannot hold (a letter in a date or a check digit) by its
   confusables the field can hold, and, when given, the OCR engine's own
   per-character alternatives.  A correction is accepted only when it is the
   unique smallest one; otherwise the text is kept as read and a
   ``repair_ambiguous`` warning says why.  Substitutions that no check digit
   can see (``K``/``<``, ``G``/``6``, any two characters whose values are equal
   modulo 10) are never proposed on check evidence.

   Why not every confusable pair: one mod-10 check digit detects an error but
   cannot locate it.  In a development experiment that also tried ``O``/``0``,
   ``8``/``B`` and the like where both are allowed (a document number), 47% of
   random non-confusable misreads of document numbers got a "unique" wrong
   correction and became valid.  Restricted as above, none did; the benchmark
   (benchmarks/bench_mrz_text.py) measures this on every run, see docs/mrz.md.
   OCR candidates much less likely than the character read
   (:data:`CANDIDATE_MIN_RATIO`) are not tried either, for the same reason.

References
----------
ICAO Doc 9303, 8th ed. (2021), Part 3 sections 4.3 (character set), 4.6
(fillers in names) and 4.9 (check digits); Parts 4-7 section 4.2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from itertools import combinations, product

from misec_rules.errors import InvalidCharacter, InvalidLength, MRZError
from misec_rules.mrz._checkdigit import VALUES, check_value, show_char
from misec_rules.mrz._countries import _known
from misec_rules.mrz._formats import ALLOWED, DIGITS, FORMATS, LETTERS, Field, Format
from misec_rules.mrz._model import MRZ, MRZWarning, Repair
from misec_rules.mrz._parse import _warning, detect_format, parse_lines

__all__ = ["CONFUSABLE", "MAX_CHANGES", "Candidates", "repair_mrz"]

Candidates = Sequence[Sequence[Sequence[tuple[str, float]] | None] | None]
"""``candidates[line][col]``: the OCR engine's alternatives ``(char, probability)``, best first."""

#: The largest number of substitutions the check-digit search tries.
MAX_CHANGES = 3
#: The most candidate corrections the search evaluates before giving up (junk input
#: with many unread characters would otherwise take long).
SEARCH_BUDGET = 200_000
#: An OCR candidate is tried where the read character is allowed only when the engine
#: gives it at least this fraction of the read character's probability.
CANDIDATE_MIN_RATIO = 0.1
#: When several smallest corrections fit, the best by candidate probability wins
#: only if it is at least this many times likelier than the next.
TIE_BREAK_RATIO = 10.0

_PAIRS = (
    "0O",
    "0D",
    "0Q",
    "0U",
    "OD",
    "OQ",
    "1I",
    "1L",
    "1T",
    "17",
    "IL",
    "2Z",
    "4A",
    "5S",
    "6G",
    "8B",
    "38",
    "<K",
)
#: Character -> characters OCR engines confuse it with (symmetric).
CONFUSABLE: dict[str, str] = {}
for _a, _b in (tuple(p) for p in _PAIRS):
    CONFUSABLE[_a] = CONFUSABLE.get(_a, "") + _b
    CONFUSABLE[_b] = CONFUSABLE.get(_b, "") + _a
#: Where a field's kind rules a character out, the one character it most likely stands
#: for (used by position rules only, never on check evidence).
PRIMARY: dict[str, str] = {
    # digit read where a letter must stand
    "0": "O",
    "1": "I",
    "2": "Z",
    "4": "A",
    "5": "S",
    "6": "G",
    "8": "B",
    # letter read where a digit must stand
    "O": "0",
    "D": "0",
    "Q": "0",
    "U": "0",
    "I": "1",
    "L": "1",
    "Z": "2",
    "A": "4",
    "S": "5",
    "G": "6",
    "B": "8",
    # a filler read as K
    "K": "<",
}
# What an OCR engine may print for a filler: a space, or a guillemet for a pair.
_FILLER_LOOKALIKES = frozenset(" «‹_-")
_UNKNOWN = "?"

Pos = tuple[int, int]
Change = tuple[Pos, str]


def _blind(a: str, b: str) -> bool:
    """Whether swapping ``a`` for ``b`` is invisible to every check digit."""
    return VALUES[a] % 10 == VALUES[b] % 10


class _Work:
    """The grid being repaired, with the repairs and warnings collected so far."""

    def __init__(
        self, fmt: Format, grid: list[list[str]], original: list[str], cands: Candidates | None
    ) -> None:
        self.fmt = fmt
        self.grid = grid
        self.original = original
        self.cands = cands
        self.warnings: list[MRZWarning] = []

    def candidates(self, pos: Pos) -> list[tuple[str, float]]:
        if self.cands is None:
            return []
        line, col = pos
        try:
            row = self.cands[line]
            if row is None:
                return []
            cell = row[col]
        except (LookupError, TypeError):
            return []
        out: list[tuple[str, float]] = []
        if cell is None:
            return out
        if isinstance(cell, str | bytes):
            return out
        try:
            items = list(cell)
        except TypeError:
            return out
        for item in items:
            try:
                ch, prob = item
                ch = str(ch).upper()
                p = float(prob)
            except (TypeError, ValueError):
                continue
            if len(ch) == 1 and ch in VALUES and p >= 0:
                out.append((ch, p))
        return out

    def set(self, pos: Pos, ch: str) -> None:
        self.grid[pos[0]][pos[1]] = ch

    def get(self, pos: Pos) -> str:
        return self.grid[pos[0]][pos[1]]

    def text(self, f: Field) -> str:
        return "".join(self.grid[f.line][f.start : f.end])


def _lines_in(lines: Sequence[str] | str) -> list[str]:
    if isinstance(lines, str):
        if len(lines) > 10_000:
            raise InvalidLength(f"input of {len(lines)} characters is too long to be one mrz")
        raw: list[object] = list(lines.splitlines())
    elif isinstance(lines, Sequence) and len(lines) <= 50:
        raw = list(lines)
    elif isinstance(lines, Sequence):
        raise InvalidLength(f"expected 2 or 3 mrz lines, got {len(lines)}")
    else:
        raise MRZError(
            f"mrz lines must be a string or a sequence of lines, not `{type(lines).__name__}`"
        )
    out: list[str] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            raise InvalidCharacter(f"line {i + 1} is `{type(item).__name__}`, not text", line=i + 1)
        if len(item) > 1000:
            raise InvalidLength(f"line {i + 1} is too long to be an mrz line", line=i + 1)
        if item.strip():
            out.append(item)
    widths = {30, 36, 44}
    return [s if len(s) in widths else s.strip() for s in out]


def _shape(lines: list[str]) -> Format:
    n = len(lines)
    if n == 3:
        width = 30
    elif n == 2 and len(lines[0]) in (36, 44):
        width = len(lines[0])
    elif n == 2:
        raise InvalidLength(
            f"line 1 has {len(lines[0])} characters, expected 36 or 44", line=1, column=1
        )
    else:
        raise InvalidLength(f"expected 2 or 3 mrz lines, got {n}")
    for i, line in enumerate(lines):
        if len(line) != width:
            raise InvalidLength(
                f"line {i + 1} has {len(line)} characters, expected {width}", line=i + 1
            )
    if n == 3:
        return FORMATS["TD1"]
    head = lines[0][0].upper()
    if width == 44:
        return FORMATS["MRVA"] if head == "V" else FORMATS["TD3"]
    return FORMATS["MRVB"] if head == "V" else FORMATS["TD2"]


def _allowed(f: Field) -> frozenset[str]:
    return ALLOWED[f.kind]


# --- phase 1: position rules ---------------------------------------------------------------


def _forced(work: _Work, f: Field, pos: Pos) -> str | None:
    """The one character the field can hold that the read character may stand for."""
    read = work.get(pos)
    allowed = _allowed(f)
    for ch, _p in work.candidates(pos):
        if ch in allowed and ch != read:
            return ch
    if read in _FILLER_LOOKALIKES and "<" in allowed:
        return "<"
    primary = PRIMARY.get(read)
    if primary is not None and primary in allowed:
        return primary
    options = [c for c in CONFUSABLE.get(read, "") if c in allowed]
    return options[0] if len(options) == 1 else None


def _only_digit(work: _Work, pos: Pos) -> str | None:
    """The one digit a letter read at ``pos`` may stand for, or None when not unique.

    The digits considered are the letter's look-alikes and the OCR engine's own
    alternatives for the position.
    """
    read = work.get(pos)
    options = {c for c in CONFUSABLE.get(read, "") if c in DIGITS}
    options |= {c for c, _p in work.candidates(pos) if c in DIGITS}
    return options.pop() if len(options) == 1 else None


def _date_letters(work: _Work, f: Field) -> list[tuple[Pos, str]]:
    """Letters in date ``f`` replaced by their only digit, when its check digit then passes.

    A letter in a date has one digit look-alike at most (`O` -> `0`), so the
    replacement is not a guess; doing it here, confirmed by the date's own check
    digit, leaves the check-digit search its budget of changes for real ambiguity
    (two misread dates hold more than :data:`MAX_CHANGES` letters easily).  When a
    letter has no unique digit or the check digit fails, nothing is changed here
    and the search decides.
    """
    changes: list[tuple[Pos, str]] = []
    for col in f.columns():
        pos = (f.line, col)
        if work.get(pos) in LETTERS:
            digit = _only_digit(work, pos)
            if digit is None:
                return []
            changes.append((pos, digit))
    if not changes or f.check is None:
        return []
    chk = work.fmt[f.check]
    text = "".join(work.grid[f.line][f.start : f.end])
    for (_line, col), digit in changes:
        i = col - f.start
        text = text[:i] + digit + text[i + 1 :]
    mark = work.get((chk.line, chk.start))
    if _plausible_date(text) and mark.isdigit() and check_value(text) == int(mark):
        return changes
    return []


def _filler_run(work: _Work, f: Field) -> tuple[list[Pos], list[Pos]]:
    """``K`` read in the filler run at the end of ``f``: (confident, uncertain) positions.

    The run is the longest suffix of ``K`` and ``<``.  A ``K`` after the run's first
    ``<`` is padding (fields are left-aligned), except a lone ``K`` right after one
    filler that follows a letter, which could be an initial (uncertain).  The ``K``
    attached to the field's last other character: one alone is kept (``ERIK<<<``);
    two or more are taken as padding, uncertain (the last letter may be a ``K``).
    A field that reads only ``K`` is padding.
    """
    text = work.text(f)
    j = len(text)
    while j > 0 and text[j - 1] in "K<":
        j -= 1
    run = text[j:]
    if "K" not in run:
        return [], []
    sure: list[Pos] = []
    unsure: list[Pos] = []
    first_filler = run.find("<")
    attached = len(run) if first_filler == -1 else first_filler
    if j == 0 and first_filler == -1:
        return [(f.line, f.start + i) for i in range(len(run))], []
    if attached >= 2:
        unsure = [(f.line, f.start + j + i) for i in range(attached)]
    for i in range(attached, len(run)):
        if run[i] != "K":
            continue
        pos = (f.line, f.start + j + i)
        prev1 = text[j + i - 1]
        prev2 = text[j + i - 2] if j + i >= 2 else "<"
        nxt = text[j + i + 1] if j + i + 1 < len(text) else "<"
        if prev1 == "<" and prev2 != "<" and nxt == "<" and attached < 2:
            unsure.append(pos)  # "X<K<": perhaps an initial
        else:
            sure.append(pos)
    return sure, unsure


def _spans(positions: list[Pos]) -> str:
    """``line 1, columns 28-42; line 2, column 43`` (1-based)."""
    parts: list[str] = []
    run: list[Pos] = []
    for pos in [*sorted(positions), (-1, -1)]:
        if run and (pos[0] != run[-1][0] or pos[1] != run[-1][1] + 1):
            line, a, b = run[0][0] + 1, run[0][1] + 1, run[-1][1] + 1
            parts.append(f"line {line}, column {a}" if a == b else f"line {line}, columns {a}-{b}")
            run = []
        run.append(pos)
    return "; ".join(parts)


def _position_rules(work: _Work, repairs_at: dict[Pos, str]) -> None:
    fmt = work.fmt
    name_uncertain: list[Pos] = []
    unconfirmed: list[Pos] = []

    def change(pos: Pos, ch: str, f: Field, sure: bool) -> None:
        work.set(pos, ch)
        repairs_at[pos] = ch
        if sure:
            return
        (name_uncertain if f.kind == "name" else unconfirmed).append(pos)

    for f in fmt.fields:
        allowed = _allowed(f)
        # characters the field cannot hold (check-digit fields are left to phase 2,
        # except a K or filler look-alike standing for `<`)
        for col in f.columns():
            pos = (f.line, col)
            read = work.get(pos)
            if read in allowed:
                continue
            # other characters in checked fields are left to the check-digit search
            checked = f.kind in ("date", "check", "number", "optional")
            if f.kind == "date" and read in LETTERS:
                continue  # see _date_letters below
            if (
                checked
                and read not in _FILLER_LOOKALIKES
                and not (f.kind == "check" and read == "K")
            ):
                continue
            ch = _forced(work, f, pos)
            if ch is not None:
                # a digit in a name, a K standing for `<` in a check-digit position:
                # no check digit can confirm either
                change(pos, ch, f, sure=read in _FILLER_LOOKALIKES)
        if f.kind == "date":
            for pos, digit in _date_letters(work, f):
                change(pos, digit, f, sure=True)
        if f.kind == "code" and f.width == 2:
            pos = (f.line, f.start + 1)
            if work.get(pos) == "K":
                change(pos, "<", f, sure=False)
        if f.kind in ("name", "number", "optional"):
            sure, unsure = _filler_run(work, f)
            for pos in sure:
                change(pos, "<", f, sure=True)
            for pos in unsure:
                change(pos, "<", f, sure=False)
        if f.kind == "state":
            _repair_code(work, f, change)
        if f.kind == "sex":
            pos = (f.line, f.start)
            read = work.get(pos)
            if read not in allowed:
                ch = _forced(work, f, pos)
                if ch is not None:
                    change(pos, ch, f, sure=False)
    if name_uncertain:
        work.warnings.append(
            _warning(
                "repair_name_uncertain",
                "name characters changed by position rules only, no check digit covers them "
                f"({_spans(name_uncertain)})",
            )
        )
    if unconfirmed:
        work.warnings.append(
            _warning(
                "repair_unconfirmed",
                "changed by position rules only, no check digit can confirm it "
                f"({_spans(unconfirmed)})",
            )
        )
    _name_patterns(work)


_Change = Callable[[Pos, str, Field, bool], None]


def _repair_code(work: _Work, f: Field, change: _Change) -> None:
    """Replace an unknown state code by the unique nearest code on the list."""
    text = work.text(f)
    known = _known()
    if text.strip("<") in known:
        return
    options: list[list[str]] = []
    for i, ch in enumerate(text):
        pos = (f.line, f.start + i)
        opts = [ch]
        for c, _p in work.candidates(pos):
            if c in ALLOWED["state"] and c not in opts:
                opts.append(c)
        for c in CONFUSABLE.get(ch, ""):
            if c in ALLOWED["state"] and c not in opts:
                opts.append(c)
        if ch in _FILLER_LOOKALIKES:
            opts = ["<"]
        options.append(opts)
    best: list[str] = []
    best_cost = 99
    for combo in product(*options):
        code = "".join(combo)
        stripped = code.rstrip("<")
        if "<" in stripped or stripped not in known:
            continue
        cost = sum(a != b for a, b in zip(code, text, strict=True))
        if cost < best_cost:
            best, best_cost = [code], cost
        elif cost == best_cost:
            best.append(code)
    if len(best) == 1:
        for i, (a, b) in enumerate(zip(text, best[0], strict=True)):
            if a != b:
                change((f.line, f.start + i), b, f, True)
    elif len(best) > 1:
        work.warnings.append(
            _warning(
                "repair_ambiguous",
                f"{f.name.replace('_', ' ')} `{text}` is not a known code and "
                f"{len(best)} codes are equally near; kept as read",
            )
        )


def _name_patterns(work: _Work) -> None:
    """Warn about name shapes a misread filler may have produced (nothing is changed)."""
    f = work.fmt["name"]
    body = work.text(f).rstrip("<")
    if "<<" not in body and ("<K" in body or "K<" in body or "KK" in body):
        work.warnings.append(
            _warning(
                "repair_name_uncertain",
                f"the name on line {f.line + 1} has no `<<` separator but a `K` beside a "
                "filler or another `K`; a filler may have been read as `K`",
            )
        )


# --- phase 2: check digits -------------------------------------------------------------------


class _Group:
    """Positions protected by one check digit."""

    __slots__ = ("check", "data", "is_date", "name", "positions")

    def __init__(self, name: str, data: list[Pos], check: Pos, is_date: bool) -> None:
        self.name = name
        self.data = data
        self.check = check
        self.is_date = is_date
        self.positions = [*data, check]


def _groups(work: _Work) -> tuple[list[_Group], _Group | None]:
    fmt = work.fmt
    groups: list[_Group] = []
    for f in fmt.fields:
        if f.check is None:
            continue
        chk = fmt[f.check]
        data = [(f.line, c) for c in f.columns()]
        check = (chk.line, chk.start)
        if f.name == "document_number" and fmt.name in ("TD1", "TD2") and work.get(check) == "<":
            opt = fmt["optional_data"]
            text = work.text(opt)
            cut = text.find("<")
            if cut == -1:
                cut = len(text)
            if cut < 2:
                continue
            data = data + [(opt.line, opt.start + i) for i in range(cut - 1)]
            check = (opt.line, opt.start + cut - 1)
        groups.append(_Group(f.name, data, check, f.kind == "date"))
    composite = None
    if fmt.composite:
        comp = fmt["composite_check"]
        data = [(ln, c) for ln, a, b in fmt.composite for c in range(a, b)]
        composite = _Group("composite", data, (comp.line, comp.start), False)
    return groups, composite


def _plausible_date(text: str) -> bool:
    if text == "<<<<<<" or "<" in text:
        return all(c in DIGITS or c == "<" for c in text)
    if not text.isdigit():
        return False
    mm, dd = int(text[2:4]), int(text[4:])
    try:
        date(2000, mm, dd)
    except ValueError:
        return False
    return True


def _passes(work: _Work, g: _Group) -> bool:
    data = "".join(work.grid[ln][c] for ln, c in g.data)
    ch = work.get(g.check)
    if g.is_date and not _plausible_date(data):
        return False
    if any(c not in VALUES for c in data):
        return False
    if ch == "<":
        return g.name != "composite" and data == "<" * len(data)
    return "0" <= ch <= "9" and check_value(data) == ord(ch) - 48


def _options(work: _Work, pos: Pos, kind_allowed: frozenset[str]) -> tuple[list[str], bool]:
    """Alternatives for ``pos`` (best first) and whether the read character must change."""
    read = work.get(pos)
    forced = read not in kind_allowed
    out: list[str] = []
    cands = work.candidates(pos)
    if cands:
        p_read = dict(cands).get(read, max(p for _c, p in cands))
        # an alternative the engine itself finds unlikely is not a candidate (else,
        # with alternatives at every position, some unlikely one would fit the check
        # digits by chance)
        for ch, p in cands:
            likely = forced or p >= CANDIDATE_MIN_RATIO * p_read
            if likely and ch in kind_allowed and ch != read and ch not in out:
                out.append(ch)
    if read == _UNKNOWN and not out:
        out = sorted(kind_allowed - {"<"}) if kind_allowed != frozenset("<") else ["<"]
    if forced:
        # only a character the field cannot hold is replaced on check evidence alone;
        # elsewhere only the OCR engine's own alternatives are tried (see module docs)
        for ch in CONFUSABLE.get(read, ""):
            if ch in kind_allowed and ch not in out:
                out.append(ch)
    if forced and kind_allowed is ALLOWED["date"]:
        # `<` and `0` weigh the same in every check digit, so a check cannot tell
        # a misread filler from a misread zero in a date: propose digits only
        out = [c for c in out if c != "<"]
    if not forced:
        out = [c for c in out if not _blind(read, c)]
    return out, forced


def _allowed_at(work: _Work, pos: Pos, check_positions: set[Pos]) -> frozenset[str]:
    if pos in check_positions:
        return ALLOWED["check"]
    return _allowed(work.fmt.field_at(*pos))


def _changesets(
    positions: Sequence[Pos],
    opts: dict[Pos, list[str]],
    forced: set[Pos],
    size: int,
) -> Iterator[tuple[Change, ...]]:
    movable = [p for p in positions if opts.get(p)]
    must = [p for p in positions if p in forced]
    if len(must) > size:
        return
    free = [p for p in movable if p not in forced]
    if any(not opts.get(p) for p in must):
        return
    for extra in combinations(free, size - len(must)):
        chosen = [*must, *extra]
        for chars in product(*(opts[p] for p in chosen)):
            yield tuple(zip(chosen, chars, strict=True))


def _apply(work: _Work, changes: Sequence[Change]) -> list[str]:
    old = [work.get(p) for p, _c in changes]
    for p, c in changes:
        work.set(p, c)
    return old


def _undo(work: _Work, changes: Sequence[Change], old: list[str]) -> None:
    for (p, _c), o in zip(changes, old, strict=True):
        work.set(p, o)


def _score(work: _Work, changes: Sequence[Change]) -> tuple[float, bool]:
    """Joint candidate probability of ``changes`` and whether all were engine-proposed."""
    score = 1.0
    proposed = True
    for p, c in changes:
        cands = dict(work.candidates(p))
        if c in cands:
            read_p = cands.get(work.get(p), 1e-3)
            score *= max(cands[c], 1e-6) / max(read_p, 1e-6)
        else:
            proposed = False
            score *= 1e-3
    return score, proposed


def _check_search(work: _Work, repairs_at: dict[Pos, str]) -> None:
    groups, composite = _groups(work)
    all_groups = [*groups, *([composite] if composite else [])]
    if all(_passes(work, g) for g in all_groups):
        return
    check_positions = {g.check for g in all_groups}
    covered: list[Pos] = []
    seen: set[Pos] = set()
    for g in all_groups:
        for p in g.positions:
            if p not in seen:
                seen.add(p)
                covered.append(p)
    opts: dict[Pos, list[str]] = {}
    forced: set[Pos] = set()
    for p in covered:
        o, must = _options(work, p, _allowed_at(work, p, check_positions))
        opts[p] = o
        if must:
            forced.add(p)

    in_group = {p for g in groups for p in g.positions}
    comp_only = [p for p in covered if p not in in_group]

    budget = [SEARCH_BUDGET]

    def spend() -> bool:
        budget[0] -= 1
        return budget[0] < 0

    # solutions of each field check by size (changes inside the field only)
    per_group: list[dict[int, list[tuple[Change, ...]]]] = []
    for g in groups:
        by_size: dict[int, list[tuple[Change, ...]]] = {}
        for size in range(MAX_CHANGES + 1):
            found = []
            for cs in _changesets(g.positions, opts, forced, size):
                if spend():
                    return _too_large(work)
                old = _apply(work, cs)
                if _passes(work, g):
                    found.append(cs)
                _undo(work, cs, old)
            by_size[size] = found
        per_group.append(by_size)

    solutions: list[tuple[Change, ...]] = []
    for total in range(MAX_CHANGES + 1):
        for sizes in _compositions(total, len(groups) + 1):
            *gsizes, csize = sizes
            if composite is None and csize:
                continue
            lists = [per_group[i][s] for i, s in enumerate(gsizes)]
            if any(not lst for lst in lists):
                continue
            comp_sets = list(_changesets(comp_only, opts, forced & set(comp_only), csize))
            for combo in product(*lists, comp_sets):
                if spend():
                    return _too_large(work)
                cs = tuple(c for part in combo for c in part)
                if composite is not None:
                    old = _apply(work, cs)
                    ok = _passes(work, composite)
                    _undo(work, cs, old)
                    if not ok:
                        continue
                solutions.append(cs)
        if solutions:
            break

    if not solutions:
        failing = [g.name for g in all_groups if not _passes(work, g)]
        work.warnings.append(
            _warning(
                "repair_ambiguous",
                f"no correction of up to {MAX_CHANGES} confusable characters makes the "
                f"failing checks pass ({', '.join(failing)}); kept as read",
            )
        )
        return
    chosen = solutions[0]
    if len(solutions) > 1:
        scored = sorted(((*_score(work, cs), cs) for cs in solutions), key=lambda t: -t[0])
        best, second = scored[0], scored[1]
        if best[1] and best[0] >= TIE_BREAK_RATIO * second[0]:
            chosen = best[2]
        else:
            places = sorted({f"{p[0] + 1}:{p[1] + 1}" for cs in solutions for p, _c in cs})
            work.warnings.append(
                _warning(
                    "repair_ambiguous",
                    f"{len(solutions)} corrections of {len(solutions[0])} character(s) "
                    f"each make the check digits pass (positions {', '.join(places)}); "
                    "kept as read",
                )
            )
            return
    for p, c in chosen:
        work.set(p, c)
        repairs_at[p] = c


def _too_large(work: _Work) -> None:
    work.warnings.append(
        _warning(
            "repair_ambiguous",
            f"more than {SEARCH_BUDGET} possible corrections; kept the text as read",
        )
    )


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


# --- entry point -----------------------------------------------------------------------------


def repair_mrz(
    lines: Sequence[str] | str,
    *,
    candidates: Candidates | None = None,
    reference_date: date | None = None,
) -> MRZ:
    """Repair confusable characters in OCR-read MRZ lines, then parse them.

    Parameters
    ----------
    lines
        The lines as the OCR engine read them (each of its format's length).
        Lower-case letters are upper-cased; a character outside the MRZ set is
        treated as unread and may be filled only from ``candidates`` or, in a
        checked field, from the check digits.
    candidates
        Optional ``candidates[line][col] = [(char, probability), ...]`` (best
        first) from the OCR engine.  Candidate characters are tried before the
        fixed confusion table, and break ties between equally small corrections
        when one is at least :data:`TIE_BREAK_RATIO` times likelier.
    reference_date
        As for :func:`~misec_rules.mrz.parse_mrz`.

    Returns
    -------
    MRZ
        Accepted corrections in ``repairs`` (1-based line and column); ambiguity
        and unconfirmed changes in ``warnings``.  ``valid`` is computed on the
        repaired text exactly as :func:`parse_mrz` does; a correction is never
        accepted just because it makes the MRZ valid unless it is the unique
        smallest such correction.

    Raises
    ------
    MRZError
        When the lines fit no format (wrong count or length), or an unread
        character could not be filled.

    References
    ----------
    ICAO Doc 9303, 8th ed. (2021), Part 3 sections 4.3, 4.6, 4.9.
    """
    raw = _lines_in(lines)
    fmt = _shape(raw)
    original = [line.upper() for line in raw]
    grid = [
        [ch if ch in VALUES or ch in _FILLER_LOOKALIKES else _UNKNOWN for ch in line]
        for line in original
    ]
    work = _Work(fmt, grid, original, candidates)
    repairs_at: dict[Pos, str] = {}

    if grid[0][0] not in LETTERS:
        ch = _forced(work, fmt["document_code"], (0, 0))
        if ch is not None and ch in LETTERS:
            work.set((0, 0), ch)
            repairs_at[(0, 0)] = ch
    _position_rules(work, repairs_at)
    _check_search(work, repairs_at)

    # anything still unread cannot be parsed
    for i, row in enumerate(work.grid):
        for j, ch in enumerate(row):
            if ch not in VALUES:
                shown = raw[i][j]
                raise InvalidCharacter(
                    f"character `{show_char(shown)}` at line {i + 1}, column {j + 1} "
                    "is not an mrz character and could not be repaired",
                    line=i + 1,
                    column=j + 1,
                )
    fixed = ["".join(row) for row in work.grid]
    repairs = [
        Repair(line=p[0] + 1, column=p[1] + 1, read=raw[p[0]][p[1]], corrected=c)
        for p, c in sorted(repairs_at.items())
        if raw[p[0]][p[1]] != c
    ]
    fmt = detect_format(fixed)
    return parse_lines(
        fmt, fixed, reference_date=reference_date, repairs=repairs, warnings=work.warnings
    )
