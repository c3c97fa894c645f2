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

from misec_rules.authenticity._context import CheckContext, as_date, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity
from misec_rules.authenticity._ocr import Word, ocr_line, ocr_words
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


def _digit_swaps(read: str, mrz: str) -> int:
    """Digits of ``mrz`` that OCR read as another digit (aligned, OCR folds applied).

    A dropped or extra character is what OCR noise looks like; a digit standing
    where another digit should be is what an edited number looks like.
    """
    a, b = fold(read), fold(mrz)
    swaps = 0
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "replace" and i2 - i1 == j2 - j1:
            swaps += sum(
                x.isdigit() and y.isdigit() for x, y in zip(a[i1:i2], b[j1:j2], strict=True)
            )
    return swaps


def _hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))


def read_viz(ctx: CheckContext) -> list[Word]:
    """OCR the image outside the MRZ band, scaled so MRZ characters would be
    ``ocr_char_height_px`` high (visual-zone text is a little smaller)."""
    if "viz_words" in ctx.cache:
        return list(ctx.cache["viz_words"])
    cfg = ctx.profile.checks.viz
    gray = ctx.gray
    box = ctx.mrz_box()
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


def _reread(ctx: CheckContext, box: list[int]) -> tuple[str, float]:
    """Read one field again, alone and larger (cap height about 40 px): a second,
    independent reading that confirms or dismisses a difference."""
    x, y, w, h = box
    pad = max(4, h // 3)
    crop = ctx.gray[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
    if crop.size == 0:
        return "", -1.0
    scale = min(4.0, max(1.0, 48.0 / max(h, 1)))
    big = np.asarray(
        cv2.resize(crop, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), np.uint8
    )
    try:
        return ocr_line(big, languages=ctx.profile.checks.viz.languages)
    except EngineError:
        return "", -1.0


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
    out: list[Finding] = []
    matched: list[str] = []
    not_found: list[str] = []

    def sev(field: str, conf: float) -> Severity:
        ok = field in cfg.fail_when and conf >= cfg.min_fail_confidence
        return Severity.FAIL if ok else Severity.WARNING

    # document number
    number = str(mrz_value(ctx.mrz, "document_number") or "")
    if len(number) >= 5:
        best = _best_number(lines, number)
        limit = max(2, len(number) // 3)
        if best is not None and best[0] == 0:
            matched.append("document_number")
        elif best is not None and 0 < best[0] <= limit:
            swaps = _digit_swaps(best[1], number)
            severity = sev("document_number", best[3]) if swaps else Severity.WARNING
            text, conf2 = _reread(ctx, best[2])
            again = re.sub(r"[^0-9A-Z]", "", text.upper())
            confirmed = (
                bool(again) and conf2 >= cfg.min_fail_confidence and _digit_swaps(again, number) > 0
            )
            if again and _lev(fold(again), fold(number)) == 0:
                severity = Severity.INFO  # the second reading agrees with the MRZ
            elif confirmed and "document_number" in cfg.fail_when:
                severity = Severity.FAIL
            out.append(
                finding(
                    "viz.document_number.mismatch",
                    severity,
                    f"visual-zone document number `{best[1]}` differs from the MRZ's `{number}`",
                    {
                        "mrz": number,
                        "viz": best[1],
                        "edit_distance": best[0],
                        "digits_changed": swaps,
                        "second_reading": again,
                        "ocr_confidence": best[3],
                        "threshold": 0,
                    },
                    best[2],
                )
            )
        else:
            not_found.append("document_number")

    # dates
    hits = _date_hits(lines)
    birth = as_date(mrz_value(ctx.mrz, "birth_date"))
    expiry = as_date(mrz_value(ctx.mrz, "expiry_date"))
    for field, value, other in (("birth_date", birth, expiry), ("expiry_date", expiry, birth)):
        if value is None:
            continue
        exact = [
            h
            for h in hits
            if h.digits() == _date_digits(value, h.year_digits)
            or (
                (h.day, h.month) == (value.month, value.day)
                and h.digits()[4:] == _date_digits(value, h.year_digits)[4:]
            )
        ]
        if exact:
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
            agree = (h.day == value.day) + (h.month == value.month) + year_same
            if h.year_digits == 2 and dist > 1:
                continue  # a two-digit year may be a four-digit one cut by OCR
            if dist > 2 and agree < 2:
                continue
            if field == "expiry_date" and h.year_digits == 4 and 0 < value.year - h.year <= 10:
                continue  # most likely the issue date
            near.append((dist, h))
        if near:
            dist, h = min(near, key=lambda t: t[0])
            again, conf2 = _reread(ctx, h.box)
            dates_again = extract_dates(again) if conf2 >= cfg.min_fail_confidence else []
            severity = sev(field, h.conf)
            if any(
                f"{d:02d}{m:02d}" + (f"{y:04d}" if yd == 4 else f"{y % 100:02d}")
                == _date_digits(value, yd)
                for d, m, y, yd, _ in dates_again
            ):
                severity = Severity.INFO  # the second reading agrees with the MRZ
            elif field in cfg.fail_when and any(
                (d, m, y) == (h.day, h.month, h.year) for d, m, y, _, _ in dates_again
            ):
                severity = Severity.FAIL  # two readings agree on the difference
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
                        "second_reading": again,
                        "ocr_confidence": h.conf,
                        "threshold": 0,
                    },
                    h.box,
                )
            )
        else:
            not_found.append(field)

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
                    nb[2],
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
                    list(contra[0].box),
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
