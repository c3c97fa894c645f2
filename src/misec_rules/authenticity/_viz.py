"""Visual zone against MRZ.

The visual zone is read with tesseract, then searched for each MRZ value: the
document number, the birth and expiry dates, the names (through ICAO
transliteration), the sex and the nationality.  Fields are found by their
values, not by a fixed layout, so the check works on any document.  A value
found exactly agrees; a *near miss* (the same shape with a few characters
changed) is reported as a difference; a value not found at all is only noted,
since OCR often misses text on guilloche backgrounds.

OCR noise is tolerated by folding the characters tesseract confuses (O/0, I/1,
S/5, B/8, Z/2, G/6) before comparing; a digit read as another digit is not
folded, since that is what a changed digit looks like.

References
----------
ICAO Doc 9303 Part 3 §6 (transliteration), Part 4 §3 and Part 5 §3 (visual zone
fields and their correspondence with the MRZ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

import cv2
import numpy as np
import numpy.typing as npt

from misec_rules.authenticity._context import CheckContext, as_date, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity
from misec_rules.authenticity._ocr import Word, ocr_words
from misec_rules.authenticity._quality import measure
from misec_rules.authenticity._transliterate import skeleton, variants
from misec_rules.errors import EngineError

__all__ = ["extract_dates", "fold", "read_viz", "run"]

_FOLD = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1",
                       "Z": "2", "S": "5", "B": "8", "G": "6"})  # fmt: skip
_TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1",
                           "Z": "2", "S": "5", "B": "8", "G": "6", "T": "7"})  # fmt: skip

_MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        "JAN JANV TAM TAMMI JANUARY",
        "FEB FEV FEVR FÉV HEL HELMI",
        "MAR MARS MÄR MAA MAALIS",
        "APR AVR AVRIL HUH HUHTI",
        "MAY MAI MAJ TOU TOUKO",
        "JUN JUIN KES KESÄ",
        "JUL JUIL HEI HEINÄ",
        "AUG AOU AOÛT AOUT ELO",
        "SEP SEPT SYY SYYS",
        "OCT OKT LOK LOKA",
        "NOV MAR MARRAS",
        "DEC DEZ JOU JOULU",
    ),
    start=1,
):
    for _n in _names.split():
        _MONTHS.setdefault(_n, _i)


def fold(text: str) -> str:
    """Upper-case alphanumerics with OCR-confusable characters folded together.

    >>> fold("x0I2-345")
    'X012345'
    """
    return re.sub(r"[^0-9A-Z]", "", text.upper()).translate(_FOLD)


def _lev(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class _Line:
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def box(self, i: int = 0, j: int | None = None) -> list[int]:
        ws = self.words[i : (j if j is not None else len(self.words))]
        x0 = min(w.box[0] for w in ws)
        y0 = min(w.box[1] for w in ws)
        x1 = max(w.box[0] + w.box[2] for w in ws)
        y1 = max(w.box[1] + w.box[3] for w in ws)
        return [x0, y0, x1 - x0, y1 - y0]

    def conf(self, i: int = 0, j: int | None = None) -> float:
        ws = self.words[i : (j if j is not None else len(self.words))]
        return min(w.conf for w in ws)


def _group_lines(words: list[Word]) -> list[_Line]:
    """Group words into text lines by geometry (psm 11 gives no reliable lines).

    Tesseract's sparse-text boxes are often stretched upwards over the small
    label printed above a value, so words are aligned on their *bottoms*: taken
    left to right, a word continues the line whose last word ends within 35 % of
    the smaller of the two heights of its own bottom, with a horizontal gap of at
    most 2.5 such heights; of several such lines the best aligned wins.
    """
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.box[0], w.box[1])):
        bottom, hh = w.box[1] + w.box[3], max(w.box[3], 1)
        best, best_dev = -1, 0.35
        for k, row in enumerate(rows):
            last = row[-1]
            ref = min(hh, max(last.box[3], 1))
            dev = abs(bottom - (last.box[1] + last.box[3])) / ref
            gap = w.box[0] - (last.box[0] + last.box[2])
            if dev <= best_dev and gap <= 2.5 * ref:
                best, best_dev = k, dev
        if best >= 0:
            rows[best].append(w)
        else:
            rows.append([w])
    rows.sort(key=lambda r: (min(w.box[1] + w.box[3] for w in r), r[0].box[0]))
    return [_Line(tuple(r)) for r in rows]


@dataclass(frozen=True)
class _DateHit:
    day: int
    month: int
    year: int
    year_digits: int
    text: str
    box: list[int]
    conf: float

    def digits(self) -> str:
        y = f"{self.year:04d}" if self.year_digits == 4 else f"{self.year % 100:02d}"
        return f"{self.day:02d}{self.month:02d}{y}"


def _month(token: str) -> int | None:
    """The month a name or abbreviation stands for; ``JUN/JUIN`` gives June by its
    first word, and a name OCR split in two with a letter read twice (``AU UG``)
    is joined again."""
    parts = [p for p in re.split(r"[ ./]+", token.upper().replace("0", "O")) if p]
    if not parts:
        return None
    tries = [parts[0]]
    if len(parts) == 2:
        a, b = parts
        tries += [a + b, a + b[1:] if a[-1] == b[0] else a + b]
    for t in tries:
        if t in _MONTHS:
            return _MONTHS[t]
        if len(t) >= 3 and t[:3] in _MONTHS:
            return _MONTHS[t[:3]]
    return None


_NUM = r"[0-9OQDILZSBG]"
_DAY = r"[0-9][0-9OQDILZSBG]?|[OQDILZSBG][0-9]"
_RE_DMY_TEXT = re.compile(
    rf"(?<![0-9A-Z])({_DAY})[ .\-/]*([A-ZÄÖÜÉÛ]{{2,6}}(?:[ ./]+[A-ZÄÖÜÉÛ]{{1,6}})?)[ .\-/]*({_NUM}{{4}}|{_NUM}{{2}}(?! ?[0-9]))(?![0-9])"
)
_RE_DMY = re.compile(
    rf"(?<![0-9])({_NUM}{{1,2}})[ .\-/]({_NUM}{{1,2}})[ .\-/]({_NUM}{{4}}|{_NUM}{{2}})(?![0-9])"
)
_RE_YMD = re.compile(
    rf"(?<![0-9])({_NUM}{{4}})[ .\-/]({_NUM}{{1,2}})[ .\-/]({_NUM}{{1,2}})(?![0-9])"
)


def _num(s: str) -> int:
    return int(s.translate(_TO_DIGIT))


def extract_dates(text: str) -> list[tuple[int, int, int, int, str]]:
    """Dates written in a line of text: ``(day, month, year, year_digits, matched)``.

    >>> extract_dates("12 MAR 1985")
    [(12, 3, 1985, 4, '12 MAR 1985')]
    >>> extract_dates("01.02.03")
    [(1, 2, 3, 2, '01.02.03')]
    """
    up = text.upper()
    out: list[tuple[int, int, int, int, str]] = []
    for m in _RE_DMY_TEXT.finditer(up):
        mon = _month(m.group(2))
        if mon is None:
            continue
        try:
            out.append((_num(m.group(1)), mon, _num(m.group(3)), len(m.group(3)), m.group(0)))
        except ValueError:
            continue
    for m in _RE_DMY.finditer(up):
        try:
            out.append(
                (_num(m.group(1)), _num(m.group(2)), _num(m.group(3)), len(m.group(3)), m.group(0))
            )
        except ValueError:
            continue
    for m in _RE_YMD.finditer(up):
        try:
            out.append((_num(m.group(3)), _num(m.group(2)), _num(m.group(1)), 4, m.group(0)))
        except ValueError:
            continue
    return [d for d in out if 1 <= d[0] <= 31 and 1 <= d[1] <= 12]


def _date_hits(lines: list[_Line]) -> list[_DateHit]:
    hits = []
    for ln in lines:
        text = ln.text
        for d, m, y, yd, matched in extract_dates(text):
            # locate the words that hold the match for its box
            start = text.upper().find(matched)
            pos, i0, i1 = 0, None, None
            for k, w in enumerate(ln.words):
                end = pos + len(w.text)
                if i0 is None and end > start:
                    i0 = k
                if pos < start + len(matched):
                    i1 = k + 1
                pos = end + 1
            i0 = i0 or 0
            i1 = i1 or len(ln.words)
            hits.append(_DateHit(d, m, y, yd, matched, ln.box(i0, i1), ln.conf(i0, i1)))
    return hits


def _date_digits(d: date, year_digits: int) -> str:
    y = f"{d.year:04d}" if year_digits == 4 else f"{d.year % 100:02d}"
    return f"{d.day:02d}{d.month:02d}{y}"


def _as_digits(dates: list[tuple[int, int, int, int, str]]) -> set[str]:
    """Dates found by :func:`extract_dates` as ``DDMMYY`` or ``DDMMYYYY`` digits."""
    return {
        f"{d:02d}{m:02d}" + (f"{y:04d}" if yd == 4 else f"{y % 100:02d}")
        for d, m, y, yd, _ in dates
    }


def _same_date(h: _DateHit, value: date) -> bool:
    """Whether a date read in the visual zone is ``value`` (day and month may be
    swapped, as in a US-style ``MM/DD/YY``)."""
    want = _date_digits(value, h.year_digits)
    if h.digits() == want:
        return True
    return (h.day, h.month) == (value.month, value.day) and h.digits()[4:] == want[4:]


def _closest(lines: list[str], number: str) -> str:
    """The run of words of ``lines`` closest to ``number`` (alphanumerics only)."""
    best, best_d = "", len(number) + 1
    target = fold(number)
    for ln in lines:
        words = ln.split()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + 3) + 1):
                raw = re.sub(r"[^0-9A-Z]", "", "".join(words[i:j]).upper())
                d = _lev(fold(raw), target)
                if raw and d < best_d:
                    best, best_d = raw, d
    return best


def _day_fits(read: int, day: int) -> bool:
    """Whether a day read agrees with ``day``, allowing OCR to have dropped its first
    digit (``1`` read for ``21``)."""
    return read == day or (day >= 10 and read == day % 10)


def _difference(
    day: int, month: int, year: int, year_digits: int, value: date
) -> tuple[int | None, int | None, int | None] | None:
    """How a date read differs from ``value``: the day, month and year that differ
    (None where they agree), or None when it does not differ."""
    want_year = value.year if year_digits == 4 else value.year % 100
    key = (
        None if _day_fits(day, value.day) else day,
        None if month == value.month else month,
        None if year == want_year else year,
    )
    return None if key == (None, None, None) else key


def _hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))


@dataclass(frozen=True)
class _View:
    """The page turned so the MRZ reads left to right, and the way back.

    ``gray`` is the turned page; ``back`` the 2x3 affine matrix from its pixels
    to the input image's; ``mrz`` the MRZ's box in the turned page (or None).
    """

    gray: npt.NDArray[np.uint8]
    back: npt.NDArray[np.float64]
    mrz: list[int] | None
    size: tuple[int, int]

    def region(self, box: list[int]) -> list[int]:
        """A box of the turned page as a box ``[x, y, w, h]`` of the input image."""
        x, y, w, h = box
        pts = np.array([[x, y, 1], [x + w, y, 1], [x + w, y + h, 1], [x, y + h, 1]], float)
        mapped = pts @ self.back.T
        x0, y0 = np.clip(mapped.min(axis=0), 0, self.size)
        x1, y1 = np.clip(mapped.max(axis=0), 0, self.size)
        return [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]


def _view(ctx: CheckContext) -> _View:
    """The page turned by the MRZ's angle (its polygon runs top-left, top-right,
    bottom-right, bottom-left in reading order), so that a page photographed
    sideways, upside down or a little skewed is read upright."""
    if "viz_view" in ctx.cache:
        view: _View = ctx.cache["viz_view"]
        return view
    gray = ctx.gray
    size = (ctx.width, ctx.height)
    ident = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    view = _View(gray, ident, ctx.mrz_box(), size)
    if ctx.polygon and len(ctx.polygon) == 4:
        pts = np.asarray(ctx.polygon, dtype=float)
        dx, dy = pts[1] - pts[0]
        angle = float(np.degrees(np.arctan2(dy, dx)))
        if abs(angle) > 0.5:
            h, w = gray.shape
            fwd = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], float) @ fwd.T
            lo = corners.min(axis=0)
            nw, nh = np.ceil(corners.max(axis=0) - lo).astype(int)
            fwd[:, 2] -= lo
            turned = np.asarray(
                cv2.warpAffine(
                    gray, fwd, (int(nw), int(nh)), flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE,
                ),
                np.uint8,
            )  # fmt: skip
            m = np.vstack([fwd, [0.0, 0.0, 1.0]])
            back = np.linalg.inv(m)[:2]
            poly = np.hstack([pts, np.ones((4, 1))]) @ fwd.T
            x0, y0 = np.clip(poly.min(axis=0), 0, [nw, nh])
            x1, y1 = np.clip(poly.max(axis=0), 0, [nw, nh])
            box = [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]
            view = _View(turned, back, box, size)
    ctx.cache["viz_view"] = view
    return view


def read_viz(ctx: CheckContext) -> list[Word]:
    """OCR the page outside the MRZ band, turned upright by the MRZ's angle and
    scaled so MRZ characters would be ``ocr_char_height_px`` high (visual-zone
    text is a little smaller).  Boxes are in the turned page's pixels."""
    if "viz_words" in ctx.cache:
        return list(ctx.cache["viz_words"])
    cfg = ctx.profile.checks.viz
    view = _view(ctx)
    gray = view.gray
    box = view.mrz
    img = gray.copy()
    if box is not None:
        x, y, w, h = box
        pad = max(3, h // 8)
        if y > gray.shape[0] * 0.4:
            img = img[: max(1, y - pad)]
        else:
            paper = int(np.median(gray))
            img[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad] = paper
        lines = len(mrz_value(ctx.mrz, "lines") or []) or 2
        char_h = h / (lines * 1.6)
        scale = cfg.ocr_char_height_px / max(char_h, 1.0)
    else:
        scale = 1400.0 / max(gray.shape)
    scale = float(min(2.0, max(0.35, scale)))
    if abs(scale - 1.0) > 0.05:
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        img = np.asarray(
            cv2.resize(img, (0, 0), fx=scale, fy=scale, interpolation=interp), dtype=np.uint8
        )
    words = ocr_words(img, languages=cfg.languages, psm=11, scale=scale)
    ctx.cache["viz_words"] = words
    return words


_REREAD_HEIGHTS = (48.0, 64.0)


def _rereads(ctx: CheckContext, boxes: list[list[int]]) -> list[list[str]]:
    """Read fields again, each alone and enlarged to two sizes: further readings,
    at other scales and another segmentation than the page's, that confirm or
    dismiss a difference.

    Returns, per box, one text per size, its lines (a label caught in the crop
    is a line of its own) separated by newlines.  All the enlarged crops are stacked on one canvas and read in one tesseract
    run (``--psm 6``; each run costs a model load), then the words are given back
    to the crop they lie on.
    """
    gray = _view(ctx).gray
    paper = int(np.median(gray))
    pieces: list[tuple[int, npt.NDArray[np.uint8]]] = []
    for k, (x, y, w, h) in enumerate(boxes):
        pad = max(4, h // 3)
        crop = gray[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
        if crop.size == 0:
            continue
        for target in _REREAD_HEIGHTS:
            scale = min(5.0, max(1.0, target / max(h, 1)))
            big = cv2.resize(crop, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            pieces.append((k, np.asarray(big, np.uint8)))
    out: list[list[str]] = [[] for _ in boxes]
    if not pieces:
        return out
    gap = 40
    width = max(p.shape[1] for _, p in pieces) + 2 * gap
    height = sum(p.shape[0] + gap for _, p in pieces) + gap
    canvas = np.full((height, width), paper, np.uint8)
    slots: list[tuple[int, int, int]] = []  # (box index, top, bottom)
    top = gap
    for k, p in pieces:
        canvas[top : top + p.shape[0], gap : gap + p.shape[1]] = p
        slots.append((k, top, top + p.shape[0]))
        top += p.shape[0] + gap
    try:
        words = ocr_words(canvas, languages=ctx.profile.checks.viz.languages, psm=6)
    except EngineError:
        return out
    for k, y0, y1 in slots:
        inside = [w for w in words if y0 <= w.box[1] + w.box[3] / 2 < y1]
        out[k].append("\n".join(ln.text for ln in _group_lines(inside)))
    return out


def _aligned(read: str, mrz: str) -> list[str]:
    """For each character of ``mrz``, the character of ``read`` aligned with it
    (``""`` where OCR dropped it), by an edit-distance alignment in which
    OCR-confusable characters (:func:`fold`) count as equal."""
    a = re.sub(r"[^0-9A-Z]", "", read.upper())
    b = mrz.upper()
    fa, fb = a.translate(_FOLD), b.translate(_FOLD)
    n, m = len(fa), len(fb)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + (fa[i - 1] != fb[j - 1]),
                cost[i - 1][j] + 1,
                cost[i][j - 1] + 1,
            )
    out = [""] * m
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (fa[i - 1] != fb[j - 1]):
            out[j - 1] = a[i - 1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i][j - 1] + 1:
            j -= 1
        else:
            i -= 1
    return out


def substitutions(read: str, mrz: str) -> set[tuple[int, str]]:
    """Digits of ``mrz`` that ``read`` shows as another digit: ``(position, digit)``.

    OCR confusions (O for 0, S for 5, ...) are folded first; a dropped or added
    character is what OCR noise looks like, a digit standing where another digit
    should be is what an edited number looks like.

    >>> sorted(substitutions("L70TJJLVS", "L78TJJLVS"))
    [(2, '0')]
    >>> substitutions("L7OTJJLVS", "L70TJJLVS")
    set()
    """
    out = set()
    for k, (r, c) in enumerate(zip(_aligned(read, mrz), mrz.upper(), strict=True)):
        d = r.translate(_FOLD)
        if c.isdigit() and d.isdigit() and d != c:
            out.add((k, d))
    return out


def _confirmed(readings: list[str], mrz: str) -> list[tuple[int, str]]:
    """The substitutions at least two readings show and none contradicts (no
    reading shows the MRZ's own character at that position)."""
    subs = [substitutions(r, mrz) for r in readings if r]
    aligned = [_aligned(r, mrz) for r in readings if r]
    out = []
    for pos, digit in sorted(set().union(*subs)) if subs else []:
        votes = sum((pos, digit) in s for s in subs)
        contra = any(al[pos].translate(_FOLD) == mrz[pos].translate(_FOLD) for al in aligned)
        if votes >= 2 and not contra:
            out.append((pos, digit))
    return out


def _best_number(lines: list[_Line], number: str) -> tuple[int, str, list[int], float] | None:
    target = fold(number)
    best: tuple[int, str, list[int], float] | None = None
    for ln in lines:
        n = len(ln.words)
        for i in range(n):
            for j in range(i + 1, min(n, i + 3) + 1):
                raw = "".join(w.text for w in ln.words[i:j])
                cand = fold(raw)
                if not cand or abs(len(cand) - len(target)) > 2:
                    continue
                dist = _lev(cand, target)
                if best is None or dist < best[0]:
                    best = (
                        dist,
                        re.sub(r"[^0-9A-Z]", "", raw.upper()),
                        ln.box(i, j),
                        ln.conf(i, j),
                    )
    return best


def _best_name(lines: list[_Line], name: str) -> tuple[float, str, list[int]] | None:
    if not name.strip():
        return None
    targets = {name.upper(), skeleton(name)}
    n_tok = len(name.split())
    best: tuple[float, str, list[int]] | None = None
    for ln in lines:
        words = ln.words
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + n_tok + 1) + 1):
                raw = " ".join(w.text for w in words[i:j])
                for v in variants(raw, limit=4):
                    for t in targets:
                        if not v:
                            continue
                        if len(v) > len(t) and v.startswith(t) and len(t) >= 25:
                            score = 1.0  # MRZ name truncated to fit its field
                        else:
                            score = SequenceMatcher(None, v, t).ratio()
                        if best is None or score > best[0]:
                            best = (score, raw, ln.box(i, j))
    return best


def run(ctx: CheckContext) -> list[Finding]:
    """Compare the visual zone's values with the MRZ's."""
    cfg = ctx.profile.checks.viz
    try:
        words = read_viz(ctx)
    except EngineError as exc:
        return [
            finding(
                "viz.not_checked",
                Severity.INFO,
                "visual zone was not read: the OCR engine is unavailable",
                {"reason": str(exc)},
            )
        ]
    lines = _group_lines(words)
    view = _view(ctx)
    out: list[Finding] = []
    matched: list[str] = []
    not_found: list[str] = []

    # document number and dates: the page's closest candidates first, then one
    # more reading of every near miss (one tesseract run for all of them)
    number = str(mrz_value(ctx.mrz, "document_number") or "")
    number_near: tuple[int, str, list[int], float] | None = None
    if len(number) >= 5:
        best = _best_number(lines, number)
        limit = max(2, len(number) // 3)
        if best is not None and best[0] == 0:
            matched.append("document_number")
        elif best is not None and 0 < best[0] <= limit:
            number_near = best
        else:
            not_found.append("document_number")

    hits = _date_hits(lines)
    birth = as_date(mrz_value(ctx.mrz, "birth_date"))
    expiry = as_date(mrz_value(ctx.mrz, "expiry_date"))
    date_near: list[tuple[str, date, int, _DateHit]] = []
    for field, value, other in (("birth_date", birth, expiry), ("expiry_date", expiry, birth)):
        if value is None:
            continue
        if any(_same_date(h, value) for h in hits):
            matched.append(field)
            continue
        near = []
        for h in hits:
            if other is not None and h.digits() == _date_digits(other, h.year_digits):
                continue
            dist = _hamming(h.digits(), _date_digits(value, h.year_digits))
            year_same = (h.year if h.year_digits == 4 else h.year % 100) == (
                value.year if h.year_digits == 4 else value.year % 100
            )
            agree = _day_fits(h.day, value.day) + (h.month == value.month) + year_same
            if h.year_digits == 2 and dist > 1:
                continue  # a two-digit year may be a four-digit one cut by OCR
            if dist > 2 and agree < 2:
                continue
            if field == "expiry_date" and h.year_digits == 4 and 0 < value.year - h.year <= 10:
                continue  # most likely the issue date
            near.append((dist, h))
        if near:
            dist, h = min(near, key=lambda t: t[0])
            date_near.append((field, value, dist, h))
        else:
            not_found.append(field)

    # a difference is only confirmed on a page sharp enough to tell a changed
    # digit from a blurred one (blur makes OCR misread 8 as 6 in every reading)
    sharpness = float(measure(ctx)["sharpness"])
    sharp = sharpness >= cfg.min_confirm_sharpness
    unresolved: list[str] = []
    boxes = ([number_near[2]] if number_near else []) + [h.box for _, _, _, h in date_near]
    again_all = _rereads(ctx, boxes) if boxes else []

    if number_near is not None:
        best = number_near
        again = [_closest(t.splitlines(), number) for t in again_all[0]]
        readings = [best[1], *again]
        confirmed = _confirmed(readings, number)
        if any(a and fold(a) == fold(number) for a in again):
            severity = Severity.INFO  # a closer reading agrees with the MRZ
        elif not sharp and any(substitutions(r, number) for r in readings):
            severity = Severity.WARNING
            unresolved.append("document_number")
        elif confirmed and "document_number" in cfg.fail_when:
            severity = Severity.FAIL
        else:
            severity = Severity.WARNING
        out.append(
            finding(
                "viz.document_number.mismatch",
                severity,
                f"visual-zone document number `{best[1]}` differs from the MRZ's `{number}`",
                {
                    "mrz": number,
                    "viz": best[1],
                    "edit_distance": best[0],
                    "readings": readings,
                    "digits_differing_in_two_readings": [
                        {"position": p, "mrz": number[p], "viz": d} for p, d in confirmed
                    ],
                    "readings_needed": 2,
                    "ocr_confidence": best[3],
                },
                view.region(best[2]),
            )
        )

    for k, (field, value, dist, h) in enumerate(date_near):
        texts = again_all[k + (1 if number_near else 0)]
        dates_again = [[d for ln in t.splitlines() for d in extract_dates(ln)] for t in texts]
        found_again = [_as_digits(ds) for ds in dates_again]
        mrz_date = any(_date_digits(value, yd) in found for found in found_again for yd in (2, 4))
        # the readings vote on how the date differs from the MRZ's (a day read
        # without its first digit is no difference)
        keys = [{_difference(h.day, h.month, h.year, h.year_digits, value)}] + [
            {_difference(d, m, y, yd, value) for d, m, y, yd, _ in ds} for ds in dates_again
        ]
        tally: dict[tuple[int | None, int | None, int | None], int] = {}
        for ks in keys:
            for key in ks - {None}:
                if key is not None:
                    tally[key] = tally.get(key, 0) + 1
        votes = max(tally.values(), default=0)
        if mrz_date:
            severity = Severity.INFO  # a closer reading agrees with the MRZ
        elif not sharp:
            severity = Severity.WARNING
            unresolved.append(field)
        elif votes >= 2 and field in cfg.fail_when:
            severity = Severity.FAIL  # two readings agree on the difference
        else:
            severity = Severity.WARNING
        out.append(
            finding(
                f"viz.{field}.mismatch",
                severity,
                f"visual-zone {field.replace('_', ' ')} `{h.text}` differs from the MRZ's "
                f"`{value.isoformat()}`",
                {
                    "mrz": value.isoformat(),
                    "viz": h.text,
                    "differing_digits": dist,
                    "readings": [h.text, *texts],
                    "readings_showing_the_difference": votes,
                    "readings_needed": 2,
                    "ocr_confidence": h.conf,
                },
                view.region(h.box),
            )
        )

    if unresolved:
        out.append(
            finding(
                "viz.unresolved",
                Severity.WARNING,
                f"visual zone could not be compared with the MRZ on {', '.join(unresolved)}: "
                f"OCR reads a difference, but the print is too soft (sharpness {sharpness:.2f}, "
                f"minimum {cfg.min_confirm_sharpness:g}) to tell a changed digit from blur",
                {
                    "fields": unresolved,
                    "sharpness": round(sharpness, 3),
                    "threshold": cfg.min_confirm_sharpness,
                },
            )
        )

    # names
    for field in ("surname", "given_names"):
        name = str(mrz_value(ctx.mrz, field) or "")
        if not name:
            continue
        nb = _best_name(lines, name)
        if nb is not None and nb[0] >= cfg.min_name_similarity:
            matched.append(field)
        elif nb is not None and nb[0] >= 0.6:
            out.append(
                finding(
                    f"viz.{field}.mismatch",
                    Severity.FAIL if field in cfg.fail_when else Severity.WARNING,
                    f"visual-zone {field.replace('_', ' ')} `{nb[1]}` differs from the MRZ's "
                    f"`{name}` after transliteration",
                    {
                        "mrz": name,
                        "viz": nb[1],
                        "similarity": round(nb[0], 3),
                        "threshold": cfg.min_name_similarity,
                    },
                    view.region(nb[2]),
                )
            )
        else:
            not_found.append(field)

    # sex and nationality: only an explicit contradiction is reported
    sex = str(mrz_value(ctx.mrz, "sex") or "")
    tokens = [(w.text.upper().strip(".,:;"), w) for w in words]
    if sex in ("M", "F"):
        own = {sex, f"{sex}/{sex}"}
        opposite = {"F", "F/F", "N/F", "K/F"} if sex == "M" else {"M", "M/M"}
        has_own = any(t in own or t.endswith("/" + sex) for t, _ in tokens)
        contra = [w for t, w in tokens if t in opposite and w.conf >= 60]
        if has_own:
            matched.append("sex")
        elif contra:
            out.append(
                finding(
                    "viz.sex.mismatch",
                    Severity.WARNING,
                    f"visual zone shows sex `{contra[0].text}` where the MRZ has `{sex}`",
                    {"mrz": sex, "viz": contra[0].text, "ocr_confidence": contra[0].conf},
                    view.region(list(contra[0].box)),
                )
            )
        else:
            not_found.append("sex")
    nationality = str(mrz_value(ctx.mrz, "nationality") or "")
    if nationality:
        if any(nationality in t.replace("/", " ").split() for t, _ in tokens):
            matched.append("nationality")
        else:
            not_found.append("nationality")

    out.append(
        finding(
            "viz.compared",
            Severity.INFO,
            f"visual zone agrees with the MRZ on {len(matched)} field(s); "
            f"{len(not_found)} not found by OCR",
            {"matched": matched, "not_found": not_found, "words_read": len(words)},
        )
    )
    return out
