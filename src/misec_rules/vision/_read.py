"""``read_mrz``: image -> MRZ band -> lines -> OCR -> repaired MRZ.

Stages, each a pure function whose output can be written out with
``debug_dir`` when a read fails:

``load``
    :func:`~misec_rules.vision._load.load_image`.
``locate``
    grayscale, then :func:`~misec_rules.vision._locate.find_bands` on the image
    as given and, when that finds no convincing band, turned by 90 degrees.
``rectify``
    :func:`~misec_rules.vision._locate.cut_lines`: one straight strip per line.
``ocr``
    the engine.  The reading direction (0 or 180 degrees) and, for two-line
    bands, the line length (36 or 44) are chosen by the OCR-B recogniser's
    confidence, which is cheap to compute for each choice.
``repair``
    :func:`misec_rules.mrz.repair_mrz` with the per-character candidates.

References
----------
ICAO Doc 9303 part 3 s4 (OCR-B, MRZ character set), parts 4-7 s4.2 (MRZ formats).
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from misec_rules.errors import EngineError, MisecError, MRZError
from misec_rules.mrz import FORMATS, MRZ, MRZWarning
from misec_rules.vision import _deblur, _ocrb, _passporteye, _tesseract
from misec_rules.vision._load import ImageSource, load_image
from misec_rules.vision._locate import (
    Band,
    cut_lines,
    find_bands,
    line_mask,
    split_cells,
    tighten,
    to_gray,
)

__all__ = ["ENGINES", "DebugDirError", "Engine", "MRZReading", "check_debug_dir", "read_mrz"]

Engine = Literal["auto", "ocrb", "tesseract", "passporteye"]
ENGINES: tuple[str, ...] = ("auto", "ocrb", "tesseract", "passporteye")
"""Engine names :func:`read_mrz` accepts."""

Candidates = list[list[list[tuple[str, float]]]]
_T = TypeVar("_T")

# A line is sent to Tesseract by `auto` when a character is below this.
_LOW_CONF = 0.55
# A name character below this confidence is flagged (no check digit protects names).
_NAME_SURE = 0.9
# How much better (mean log-probability per character) a 180-degree read must be.
_FLIP_MARGIN = 0.1
# A runner-up at a check-digit-protected position with the same check-digit value as
# the character read, at least this likely, is flagged: the check cannot tell them apart.
_BLIND_MIN = 0.05
# A band whose best orientation reads this badly is not an MRZ.
_MIN_MEAN_LOG_PROB = -1.2


class MRZReading(BaseModel):
    """The result of reading one image.

    Attributes
    ----------
    ok
        An MRZ was found and parsed (whether or not its checks pass).
    mrz
        The parsed and repaired MRZ, or None.
    error
        None, or one line saying why nothing was read.
    engine
        The engine that produced ``mrz`` (``auto`` names the parts it used,
        e.g. ``auto:ocrb+tesseract``).
    polygon
        The MRZ band's four corners ``[x, y]`` (top-left, top-right,
        bottom-right, bottom-left in reading direction) in the input image's
        pixels, or None.
    confidences
        Per line, per character, the recogniser's probability of the
        character read (ocrb), or Tesseract's line confidence repeated.
    stage_seconds
        CPU seconds per stage (``load``, ``locate``, ``rectify``, ``ocr``,
        ``repair``).
    seconds
        Wall-clock seconds for the whole read.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    mrz: MRZ | None
    error: str | None
    engine: str
    polygon: list[list[float]] | None
    confidences: list[list[float]] | None
    stage_seconds: dict[str, float]
    seconds: float

    def to_json(self, path: str | None = None) -> dict[str, Any]:
        """DESIGN.md's ``{path, ok, mrz, error, seconds}`` object."""
        return {
            "path": path,
            "ok": self.ok,
            "mrz": self.mrz.to_json() if self.mrz is not None else None,
            "error": self.error,
            "seconds": round(self.seconds, 4),
        }


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (tesseract runs as one)."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


class DebugDirError(MisecError, ValueError):
    """The debug directory cannot be used (it is a file, or cannot be created)."""


def check_debug_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a directory the debug images can go to, created if missing.

    Raises
    ------
    DebugDirError
        ``path`` exists and is not a directory, or cannot be created.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise DebugDirError(f"debug directory `{p}` exists and is not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DebugDirError(f"debug directory `{p}` cannot be created ({reason.lower()})") from exc
    return p


@dataclass
class _Stages:
    """Per-stage CPU time and debug output."""

    debug: Path | None
    seconds: dict[str, float]

    def run(self, name: str, fn: Callable[[], _T]) -> _T:
        t = cpu_seconds()
        try:
            return fn()
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + cpu_seconds() - t

    def save(self, name: str, image: NDArray[Any]) -> None:
        if self.debug is None:
            return
        self.debug.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(self.debug / name), image)


@dataclass(frozen=True)
class _Oriented:
    """A band, the orientation it was found in, and its line strips upright."""

    band: Band
    quarter: int  # the image was turned clockwise by quarter * 90 degrees to find it
    flipped: bool  # the band reads upside down in that image
    n: int
    strips: list[NDArray[np.uint8]]
    reads: list[_ocrb.LineRead]
    polygon: list[list[float]]

    @property
    def score(self) -> float:
        return float(np.mean([r.mean_log_prob for r in self.reads]))


def _turn(gray: NDArray[np.uint8], quarter: int) -> NDArray[np.uint8]:
    return np.ascontiguousarray(np.rot90(gray, k=-quarter)) if quarter else gray


def _unturn_points(
    pts: NDArray[np.float64], quarter: int, shape: tuple[int, ...]
) -> NDArray[np.float64]:
    """Map points found in the image turned clockwise by ``quarter``*90 back."""
    h, w = shape[:2]
    x, y = pts[:, 0], pts[:, 1]
    if quarter == 1:  # turned clockwise: x' = h-1-y, y' = x
        return np.stack([y, h - 1 - x], axis=1)
    if quarter == 3:  # turned counter-clockwise: x' = y, y' = w-1-x
        return np.stack([w - 1 - y, x], axis=1)
    return pts


def _orient(
    band: Band, turned: NDArray[np.uint8], quarter: int, shape: tuple[int, ...]
) -> _Oriented | None:
    """Decide reading direction and line length from the first line, then read the rest."""
    strips = cut_lines(turned, band)
    sources = [strips]
    sharp = _deblurred(band, turned)
    if sharp is not None:
        sources.append(cut_lines(sharp, band))
    lengths = [30] if len(strips) == 3 else [44, 36]
    if len(lengths) == 2:
        # the spacing of the characters along the band says how many there are
        chars = float(np.median([t.chars for t in band.lines]))
        if 0 < chars < 38.5:
            lengths = [36]
        elif chars > 41.5:
            lengths = [44]
    model = _ocrb.load_model()
    poly = band.polygon()
    best: tuple[float, bool, int, list[_ocrb.LineRead], list[NDArray[np.uint8]]] | None = None
    for source in sources:
        upside = [np.ascontiguousarray(s[::-1, ::-1]) for s in reversed(source)]
        for n in lengths:
            for flipped in (False, True):
                ss = upside if flipped else source
                reads = [_ocrb.read_line(s, n, model=model) for s in ss]
                score = float(np.mean([r.mean_log_prob for r in reads]))
                # documents are far more often upright: a flip must read clearly better
                score -= _FLIP_MARGIN if flipped else 0.0
                if best is None or score > best[0]:
                    best = (score, flipped, n, reads, ss)
    if best is None:
        return None
    _, flipped, n, reads, ss = best
    reads = _constrain(reads, n)
    p = poly[[2, 3, 0, 1]] if flipped else poly
    pts = _unturn_points(p, quarter, shape)
    return _Oriented(band, quarter, flipped, n, ss, reads, pts.round(1).tolist())


def _deblurred(band: Band, gray: NDArray[np.uint8]) -> NDArray[np.uint8] | None:
    """``gray`` with a motion blur undone around ``band``, or None when there is none.

    The blur is estimated on the band itself (see :mod:`._deblur`); only that
    region, with a margin, is restored, in a copy.
    """
    poly = band.polygon()
    # about one character pitch (30 to 44 characters a line): longer smears are
    # not looked for
    pitch = max(t.length for t in band.lines) * band.scale / (30 if len(band.lines) == 3 else 40)
    h, w = gray.shape[:2]
    x0, y0 = np.floor(poly.min(axis=0)).astype(int)
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int)
    # a margin of print and paper around the band: the estimate's window
    # tapers the patch's edges, and a two-line band is short across
    m = int(1.5 * pitch)
    x0, y0, x1, y1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    if x1 - x0 < 32 or y1 - y0 < 32:
        return None
    blur = _deblur.estimate_motion(gray[y0:y1, x0:x1], max_length=max(12.0, pitch))
    if blur is None:
        return None
    m = int(pitch + 2 * blur.length)
    x0, y0, x1, y1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
    out = gray.copy()
    out[y0:y1, x0:x1] = _deblur.deblur(gray[y0:y1, x0:x1], blur)
    return out


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
_DIGITS = "0123456789<"
_KIND_CHARS = {
    "code": _LETTERS,
    "state": _LETTERS,
    "name": _LETTERS,
    "number": _LETTERS + "0123456789",
    "date": _DIGITS,
    "sex": "MFX<",
    "optional": _LETTERS + "0123456789",
    "check": _DIGITS,
}


def _format_name(reads: list[_ocrb.LineRead], n: int) -> str:
    """The MRZ format a band's shape and first character point to."""
    if len(reads) == 3:
        return "TD1"
    # the document code's first letter decides: V for a visa, else P (TD3) or
    # A/C/I (TD2); weighed among those letters only, not the whole alphabet
    p0 = reads[0].probs[0]
    others = max(float(p0[_ocrb.ALPHABET.index(c)]) for c in "PACI")
    visa = float(p0[_ocrb.ALPHABET.index("V")]) > others
    if n == 36:
        return "MRVB" if visa else "TD2"
    return "MRVA" if visa else "TD3"


def _constrain(
    reads: list[_ocrb.LineRead], n: int, fmt_name: str | None = None
) -> list[_ocrb.LineRead]:
    """Re-decode each line with only the characters each position's field can hold.

    ``fmt_name`` forces the format (by default :func:`_format_name` decides).

    References
    ----------
    ICAO Doc 9303 parts 4-7 s4.2 (the fields of each MRZ format and their characters).
    """
    fmt = FORMATS[fmt_name or _format_name(reads, n)]  # type: ignore[index]
    out: list[_ocrb.LineRead] = []
    for i, r in enumerate(reads):
        allowed = ["0123456789" + _LETTERS] * n
        for f in fmt.fields:
            if f.line == i:
                for c in f.columns():
                    allowed[c] = _KIND_CHARS.get(f.kind, allowed[c])
        if i == 0 and fmt.document_codes:
            # the document code's first letter is fixed per format (P, V, or A/C/I)
            allowed[0] = "".join(sorted(fmt.document_codes))
        first = _ocrb.decode(r.probs, r.pitch, allowed=allowed)
        weights = _number_prior(first.text, fmt, i)
        out.append(
            first
            if weights is None
            else _ocrb.decode(r.probs, r.pitch, allowed=allowed, weights=weights)
        )
    return out


# Letters whose check-digit value equals a digit's modulo 10 (S and 8, J and 9,
# Z and 5, G and 6, ...) are invisible to the check digit in a document number;
# a letter between two digits there is also rarer than a digit.
_LETTER_BETWEEN_DIGITS = 0.3


def _number_prior(text: str, fmt: Any, line: int) -> NDArray[np.float32] | None:
    """A prior against a letter between two digits in a document number.

    A confident letter survives it (``L898902C3``); an unsure one between
    digits gives way to the digit the recogniser found next most likely.
    The same prior weighs against `<` in the sex field and against fillers a
    name cannot hold (a second `<<`, `<<<` inside, a leading `<`): a
    character washed out by glare or blur reads as a filler.
    """
    weights: NDArray[np.float32] | None = None

    def lower(c: int, classes: slice | int) -> None:
        nonlocal weights
        if weights is None:
            weights = np.ones((len(text), len(_ocrb.ALPHABET)), dtype=np.float32)
        weights[c, classes] = _LETTER_BETWEEN_DIGITS

    filler = _ocrb.ALPHABET.index("<")
    for f in fmt.fields:
        if f.line != line:
            continue
        if f.kind == "number":
            for c in f.columns():
                if c == 0 or c + 1 >= len(text):
                    continue
                if text[c].isalpha() and text[c - 1].isdigit() and text[c + 1].isdigit():
                    lower(c, slice(10, 36))
        elif f.kind == "sex" and text[f.start : f.start + 1] == "<":
            # `<` (unspecified) is rare beside M, F and X; a washed-out letter reads so
            lower(f.start, filler)
        elif f.kind == "name":
            for c in _irregular_fillers(text[f.start : f.end]):
                lower(f.start + c, filler)
    return weights


def _irregular_fillers(name: str) -> list[int]:
    """Columns of fillers a name cannot hold (ICAO 9303-3 s4.6).

    ``<`` runs inside the name other than single spaces and one ``<<`` between
    surname and given names (when there are two, both), and a leading ``<``.
    The trailing padding is regular.
    """
    end = len(name.rstrip("<"))
    runs: list[tuple[int, int]] = []
    i = 0
    while i < end:
        if name[i] != "<":
            i += 1
            continue
        j = i
        while j < end and name[j] == "<":
            j += 1
        runs.append((i, j))
        i = j
    # with two `<<`, either may be the separator: both are weighed against
    doubles = sum(1 for a, b in runs if b - a == 2)
    out: list[int] = []
    for a, b in runs:
        if a == 0 or b - a > 2 or (b - a == 2 and doubles > 1):
            out.extend(range(a, b))
    return out


def _locate(gray: NDArray[np.uint8], st: _Stages) -> list[_Oriented]:
    """Candidate bands, upright, best first."""
    found: list[tuple[Band, int, NDArray[np.uint8]]] = []
    for quarter in (0, 1):
        turned = st.run("locate", partial(_turn, gray, quarter))
        bands = st.run("locate", partial(find_bands, turned))
        found.extend((b, quarter, turned) for b in bands)
        if bands and bands[0].score > 1.3:
            break
    found.sort(key=lambda t: -t[0].score)
    out: list[_Oriented] = []
    for band, quarter, turned in found[:3]:
        o = st.run("orient_ocr", partial(_orient, band, turned, quarter, gray.shape))
        if o is not None:
            out.append(o)
        if o is not None and o.score > -0.15 and band.score > 1.2:
            break
    out.sort(key=lambda o: -(o.score + 0.3 * o.band.score))
    return out


def _repair(lines: list[str], candidates: Candidates | None, reference_date: date | None) -> MRZ:
    """Check-digit repair (falls back to plain parsing while repair is unavailable)."""
    try:
        from misec_rules.mrz import repair_mrz  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        from misec_rules.mrz import parse_mrz

        return parse_mrz(lines, reference_date=reference_date)
    result: MRZ = repair_mrz(lines, candidates=candidates, reference_date=reference_date)
    return result


def _name_columns(fmt_name: str) -> list[tuple[int, int]]:
    """0-based (line, column) positions of the name field of a format."""
    fmt = FORMATS.get(fmt_name)  # type: ignore[call-overload]
    if fmt is None:
        return []
    f = fmt["name"]
    return [(f.line, c) for c in f.columns()]


def _unprotected_columns(fmt_name: str) -> list[tuple[str, int, int]]:
    """(field, line, column), 0-based, of the fields no check digit covers and
    whose misreading the check digits cannot reveal: document code, states, sex."""
    fmt = FORMATS.get(fmt_name)  # type: ignore[call-overload]
    if fmt is None:
        return []
    return [
        (f.name, f.line, c)
        for f in fmt.fields
        if f.kind in ("code", "state", "sex")
        for c in f.columns()
    ]


def _flag_uncertain_names(mrz: MRZ, confidences: list[list[float]]) -> MRZ:
    """Warn about name and other unprotected characters the recogniser is unsure of.

    Names get ``repair_name_uncertain``; the document code, states and sex get
    ``repair_unconfirmed``.  No check digit protects them, so a confident
    misread could otherwise pass as valid.
    """

    def unsure(li: int, col: int) -> bool:
        return (
            li < len(confidences)
            and col < len(confidences[li])
            and confidences[li][col] < _NAME_SURE
        )

    low = [
        f"line {li + 1} column {col + 1}"
        for li, col in _name_columns(mrz.format)
        if unsure(li, col)
    ]
    other = [
        f"{name.replace('_', ' ')} at line {li + 1} column {col + 1}"
        for name, li, col in _unprotected_columns(mrz.format)
        if unsure(li, col)
    ]
    added: list[MRZWarning] = []
    if low and not any(w.code == "repair_name_uncertain" for w in mrz.warnings):
        added.append(
            MRZWarning(
                code="repair_name_uncertain",
                message="the reader is unsure of the name at "
                + ", ".join(low[:5])
                + (" and more" if len(low) > 5 else "")
                + "; confirm it against the visual zone",
            )
        )
    if other:
        added.append(
            MRZWarning(
                code="repair_unconfirmed",
                message="the reader is unsure of the "
                + ", ".join(other[:4])
                + (" and more" if len(other) > 4 else "")
                + "; no check digit confirms it",
            )
        )
    if not added:
        return mrz
    return mrz.model_copy(update={"warnings": [*mrz.warnings, *added]})


def _check_value(ch: str) -> int:
    """The character's weight in an ICAO 9303-3 s4.9 check digit, modulo 10."""
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return (ord(ch) - 55) % 10
    return 0


def _flag_blind(mrz: MRZ, cands: Candidates) -> MRZ:
    """Warn where a check digit cannot confirm a protected character the reader is unsure of.

    ``S``/``8``, ``J``/``9``, ``Z``/``5``, ``G``/``6`` and ``<``/``0`` weigh the
    same in a check digit, so a document number read with the wrong one of
    such a pair still passes.  Where the recogniser's runner-up at a
    protected position is such a twin of the character read, the field's
    characters admit it, and it is at least :data:`_BLIND_MIN` likely, or
    where the repair filled in a character that has such a twin, a
    ``repair_unconfirmed`` warning names the position.

    References
    ----------
    ICAO Doc 9303 part 3 s4.9 (check digit weights and values).
    """
    found = _blind_spots(mrz, cands)
    if not found:
        return mrz
    warning = MRZWarning(
        code="repair_unconfirmed",
        message="a check digit passes but cannot tell apart look-alikes of equal check "
        "value for the "
        + "; ".join(found[:3])
        + (" and more" if len(found) > 3 else "")
        + "; confirm against the visual zone",
    )
    return mrz.model_copy(update={"warnings": [*mrz.warnings, warning]})


def _flag_unsure_repairs(mrz: MRZ, confidences: list[list[float]]) -> MRZ:
    """Warn where a check digit made a protected field valid without being sure itself.

    A repair chooses the character a check digit asks for; that proves
    nothing when the reader was unsure of the check digit or of another
    character of the field (glare can wash out a digit and its check digit
    alike).  Likewise a filler read in a date makes it "partly unknown"
    (ICAO 9303-3 s4.6 allows that) and weighs 0 in the check digit: where the
    reader was unsure of that filler, it may be a washed-out digit.  Either
    gets a ``repair_unconfirmed`` warning naming the field.

    References
    ----------
    ICAO Doc 9303 part 3 s4.9 (check digits).
    """
    fmt = FORMATS.get(mrz.format)
    if fmt is None or not mrz.valid:
        return mrz
    by_name = {f.name: f for f in fmt.fields}
    repaired = {(r.line - 1, r.column - 1): r for r in mrz.repairs}

    def conf(li: int, col: int) -> float:
        if li < len(confidences) and col < len(confidences[li]):
            return confidences[li][col]
        return 1.0

    found: list[str] = []
    for f in fmt.fields:
        if f.check is None or f.check not in by_name:
            continue
        chk = by_name[f.check]
        spots = [(f.line, c) for c in f.columns()] + [(chk.line, c) for c in chk.columns()]
        fixed = [p for p in spots if p in repaired]
        others = [p for p in spots if p not in repaired]
        label = f.name.replace("_", " ")
        if fixed and any(conf(*p) < _NAME_SURE for p in others):
            li, col = fixed[0]
            r = repaired[(li, col)]
            found.append(
                f"{label} at line {li + 1} column {col + 1} (repaired `{r.read}` to "
                f"`{r.corrected}` to fit characters the reader was unsure of)"
            )
        elif f.kind == "date":
            unsure = [
                c
                for c in f.columns()
                if mrz.lines[f.line][c] == "<" and conf(f.line, c) < _NAME_SURE
            ]
            if unsure:
                found.append(
                    f"{label} at line {f.line + 1} column {unsure[0] + 1} (read as a "
                    "filler, which may be a washed-out digit)"
                )
    if not found:
        return mrz
    warning = MRZWarning(
        code="repair_unconfirmed",
        message="the check digit may confirm a misread: the "
        + "; ".join(found[:3])
        + (" and more" if len(found) > 3 else "")
        + "; confirm against the visual zone",
    )
    return mrz.model_copy(update={"warnings": [*mrz.warnings, warning]})


def _blind_spots(mrz: MRZ, cands: Candidates) -> list[str]:
    """The protected positions :func:`_flag_blind` warns about, described."""
    fmt = FORMATS.get(mrz.format)
    if fmt is None or not mrz.valid:
        return []
    found: list[str] = []
    repaired = {(r.line - 1, r.column - 1) for r in mrz.repairs}
    for f in fmt.fields:
        if f.kind not in ("number", "date", "optional", "check"):
            continue
        allowed = _KIND_CHARS[f.kind]
        for col in f.columns():
            li = f.line
            if li >= len(cands) or col >= len(cands[li]) or li >= len(mrz.lines):
                continue
            read = mrz.lines[li][col]
            twins = sorted(
                (c for c in allowed if c != read and _check_value(c) == _check_value(read)),
                key=lambda c: (not c.isdigit(), c),
            )
            if (li, col) in repaired and twins:
                # the repair chose this character among candidates; its twin would
                # have passed the check digit just as well
                found.append(
                    f"{f.name.replace('_', ' ')} at line {li + 1} column {col + 1} "
                    f"(repaired to `{read}`, `{twins[0]}` fits as well)"
                )
                continue
            for alt, p in cands[li][col]:
                if alt == read or alt not in allowed or p < _BLIND_MIN:
                    continue
                if _check_value(alt) == _check_value(read):
                    found.append(
                        f"{f.name.replace('_', ' ')} at line {li + 1} column {col + 1} "
                        f"(`{read}` or `{alt}`)"
                    )
                    break
    return found


def _erasures(mrz: MRZ, cands: Candidates) -> int:
    """Signs that glare or fading erased characters of a valid reading.

    Fillers a name cannot hold, an unspecified sex (`<`), and protected
    characters whose check-digit twin is as plausible: each is what a
    washed-out character reads as.
    """
    fmt = FORMATS.get(mrz.format)
    if fmt is None:
        return 0
    count = len(_blind_spots(mrz, cands))
    for f in fmt.fields:
        if f.line >= len(mrz.lines):
            continue
        text = mrz.lines[f.line][f.start : f.end]
        if f.kind == "name":
            count += len(_irregular_fillers(text))
        elif f.kind == "sex" and text == "<":
            count += 1
    return count


def _ocr_tesseract(o: _Oriented) -> tuple[list[str], list[list[float]]]:
    texts: list[str] = []
    confs: list[list[float]] = []
    for s in o.strips:
        text, conf = _tesseract.read_line(tighten(s), o.n)
        texts.append(text)
        confs.append([conf] * o.n)
    return texts, confs


# Aligning Tesseract's text with the cells: the cost of leaving a character of
# either out, against up to 1 gained per agreeing character.
_ALIGN_GAP = 0.6


def _align(tess: str, ocrb: _ocrb.LineRead) -> list[str | None]:
    """Tesseract's characters placed on the ocrb cells they most likely are (None: none).

    Tesseract reads a line as free text: it may take a speck before the first
    character for one more, or merge two, and its text is then fitted to the
    line's length at a filler run, so its characters can sit one place off
    the cells for part of a line.  A global alignment (Needleman-Wunsch)
    scores a character against a cell by the recogniser's probability of it
    there (1 when it is the cell's best), and a skipped character or cell by
    ``-_ALIGN_GAP``: a stretch shifted by one is re-placed when it agrees
    better than the two gaps cost.
    """
    n, m = len(ocrb.text), len(tess)
    idx = [_ocrb.ALPHABET.find(c) for c in tess]
    pair = np.zeros((m, n), dtype=np.float64)
    for i, k in enumerate(idx):
        if k >= 0:
            pair[i] = ocrb.probs[:n, k]
        for j in range(n):
            if tess[i] == ocrb.text[j]:
                pair[i, j] = 1.0
    score = np.zeros((m + 1, n + 1), dtype=np.float64)
    score[:, 0] = -_ALIGN_GAP * np.arange(m + 1)
    score[0, :] = -_ALIGN_GAP * np.arange(n + 1)
    move = np.zeros((m + 1, n + 1), dtype=np.int8)  # 0 pair, 1 skip tess, 2 skip cell
    move[1:, 0], move[0, 1:] = 1, 2
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            options = (
                score[i - 1, j - 1] + pair[i - 1, j - 1],
                score[i - 1, j] - _ALIGN_GAP,
                score[i, j - 1] - _ALIGN_GAP,
            )
            k = int(np.argmax(options))
            score[i, j], move[i, j] = options[k], k
    out: list[str | None] = [None] * n
    i, j = m, n
    while i > 0 or j > 0:
        k = move[i, j]
        if k == 0:
            out[j - 1] = tess[i - 1]
            i, j = i - 1, j - 1
        elif k == 1:
            i -= 1
        else:
            j -= 1
    return out


def _merge(
    ocrb: _ocrb.LineRead, tess: str | list[str | None]
) -> tuple[str, list[tuple[str, float]] | None, list[list[tuple[str, float]]]]:
    """Combine an ocrb read with a Tesseract read of the same line (aligned to its cells)."""
    chars = list(ocrb.text)
    cands: list[list[tuple[str, float]]] = []
    for i, c_list in enumerate(ocrb.candidates):
        t = tess[i] if i < len(tess) else None
        best, p = c_list[0]
        merged = dict(c_list)
        if t is not None and t != best and p < _LOW_CONF:
            merged[t] = merged.get(t, 0.0) + 0.5 * (1.0 - p)
        ranked = sorted(merged.items(), key=lambda kv: -kv[1])
        total = sum(v for _, v in ranked) or 1.0
        ranked = [(k, v / total) for k, v in ranked]
        chars[i] = ranked[0][0]
        cands.append(ranked)
    return "".join(chars), None, cands


def read_mrz(
    image: ImageSource,
    *,
    engine: str = "auto",
    reference_date: date | None = None,
    debug_dir: str | os.PathLike[str] | None = None,
) -> MRZReading:
    """Read the MRZ of a document image.

    Parameters
    ----------
    image
        A path, encoded image bytes, or an array (see
        :func:`~misec_rules.vision.load_image`).
    engine
        ``auto`` (the OCR-B recogniser, with Tesseract for lines it is unsure
        of), ``ocrb``, ``tesseract`` or ``passporteye``.
    reference_date
        Date against which two-digit years and expiry are judged (today by
        default).
    debug_dir
        When given, the intermediate images of every stage and a
        ``reading.json`` are written there.

    Returns
    -------
    MRZReading
        ``ok`` false with the reason in ``error`` when no MRZ is found or the
        text read fits no MRZ format.

    Raises
    ------
    ImageError
        The input cannot be read as an image (ImageTooLarge when it is over
        60 megapixels).
    EngineError
        The engine is unknown, or missing or broken on this machine.
    DebugDirError
        ``debug_dir`` is a file or cannot be created (checked before any work).

    References
    ----------
    ICAO Doc 9303 parts 3-7.
    """
    if engine not in ENGINES:
        raise EngineError(f"unknown engine `{engine}`; choose one of {', '.join(ENGINES)}")
    if debug_dir is not None:
        check_debug_dir(debug_dir)
    wall = time.perf_counter()
    st = _Stages(Path(debug_dir) if debug_dir is not None else None, {})
    img = st.run("load", lambda: load_image(image))

    def finish(
        mrz: MRZ | None,
        error: str | None,
        used: str,
        polygon: list[list[float]] | None = None,
        confidences: list[list[float]] | None = None,
    ) -> MRZReading:
        reading = MRZReading(
            ok=mrz is not None,
            mrz=mrz,
            error=error,
            engine=used,
            polygon=polygon,
            confidences=confidences,
            stage_seconds={k: round(v, 5) for k, v in st.seconds.items()},
            seconds=time.perf_counter() - wall,
        )
        if st.debug is not None:
            st.debug.mkdir(parents=True, exist_ok=True)
            (st.debug / "reading.json").write_text(
                json.dumps(
                    {
                        **reading.to_json(),
                        "engine": used,
                        "polygon": polygon,
                        "stage_seconds": reading.stage_seconds,
                    },
                    indent=2,
                    default=str,
                )
            )
        return reading

    if engine == "passporteye":
        pe = st.run("ocr", lambda: _passporteye.read(img))
        if pe is None or not pe.lines:
            return finish(None, "no mrz found", "passporteye")
        try:
            mrz = st.run("repair", lambda: _repair(pe.lines, None, reference_date))
        except MRZError as exc:
            return finish(None, f"text read fits no mrz format: {exc}", "passporteye")
        return finish(mrz, None, "passporteye")

    gray = st.run("locate", lambda: to_gray(img))
    st.save("01_gray.png", gray)
    cands = _locate(gray, st)
    if st.debug is not None:
        _debug_locate(st, img, gray, cands)
    usable = [o for o in cands if o.score >= _MIN_MEAN_LOG_PROB]
    if not usable:
        return finish(None, "no mrz found", engine)
    last_error = "no mrz found"
    for o in usable[:2]:
        for i, strip in enumerate(o.strips):
            st.save(f"04_line{i + 1}.png", strip)
            _debug_cells(st, strip, o.n, i)
        used = engine
        cand: Candidates | None
        if engine == "tesseract":
            texts, confs = st.run("ocr", partial(_ocr_tesseract, o))
            cand = None
        else:
            texts = [r.text for r in o.reads]
            confs = [r.confidences for r in o.reads]
            cand = [r.candidates for r in o.reads]
            used = "ocrb" if engine == "ocrb" else "auto:ocrb"
        try:
            mrz = st.run("repair", partial(_repair, texts, cand, reference_date))
        except MRZError as exc:
            last_error = f"text read fits no mrz format: {exc}"
            continue
        if engine == "auto" and (not mrz.valid or min(min(c) for c in confs) < _LOW_CONF):
            mrz, texts, confs, cand, used = st.run(
                "ocr", partial(_auto_second, o, mrz, reference_date)
            )
        if engine in ("ocrb", "auto") and cand is not None:
            other = st.run("repair", partial(_other_format, o, mrz, reference_date))
            if other is not None:
                mrz, texts, confs, cand = other
        if engine in ("ocrb", "auto") and not mrz.valid:
            again = st.run("orient_ocr", partial(_second_look, o, reference_date))
            if again is not None:
                mrz, texts, confs, cand = again
                used = f"{used}+{_SECOND_LOOK_TAG}"
        if engine in ("ocrb", "auto") and mrz.valid and cand is not None:
            signs = _erasures(mrz, cand)
            if signs:
                fused = st.run("orient_ocr", partial(_fused_look, o, signs, reference_date))
                if fused is not None:
                    mrz, texts, confs, cand = fused
                    used = f"{used}+{_FUSED_TAG}"
        if engine in ("ocrb", "auto"):
            mrz = _flag_uncertain_names(mrz, confs)
            if cand is not None:
                mrz = _flag_blind(mrz, cand)
            mrz = _flag_unsure_repairs(mrz, confs)
        return finish(mrz, None, used, o.polygon, [[round(c, 4) for c in row] for row in confs])
    return finish(None, last_error, engine)


_SECOND_LOOK_TAG = "second_look"
_FUSED_TAG = "local_ink"


def _fused_look(
    o: _Oriented, signs: int, reference_date: date | None
) -> tuple[MRZ, list[str], list[list[float]], Candidates] | None:
    """A valid reading with signs of erased characters, read again with locally scaled ink.

    Glare washes characters out next to dark ones; scaled by the ink's
    strength within a few characters they come back.  Two readings are
    tried: each cell's probabilities averaged over the plain and the local
    read (a character both agree on stays; one only the local read sees can
    win where the plain read was unsure), and the local read alone.  The one
    with the fewest such signs (see :func:`_erasures`) is taken when it
    passes its check digits with fewer signs than the first reading.
    """
    model = _ocrb.load_model()
    local = [_ocrb.read_line(s, o.n, model=model, variant="local") for s in o.strips]
    fused = [
        _ocrb.decode(((r.probs + lr.probs) / 2).astype(np.float32), r.pitch)
        for r, lr in zip(o.reads, local, strict=True)
    ]
    best: tuple[int, MRZ, list[str], list[list[float]], Candidates] | None = None
    for reads in (_constrain(fused, o.n), _constrain(local, o.n)):
        texts = [r.text for r in reads]
        cands = [r.candidates for r in reads]
        try:
            mrz = _repair(texts, cands, reference_date)
        except MRZError:
            continue
        left = _erasures(mrz, cands)
        if mrz.valid and left < signs and (best is None or left < best[0]):
            best = (left, mrz, texts, [r.confidences for r in reads], cands)
    if best is None:
        return None
    return best[1], best[2], best[3], best[4]


def _second_look(
    o: _Oriented, reference_date: date | None
) -> tuple[MRZ, list[str], list[list[float]], Candidates] | None:
    """Re-read the strips with locally scaled ink, then sharpened; the first valid result.

    Only for a reading whose check digits fail: glare and uneven light leave
    some characters faint next to dark ones, blur softens them all.
    """
    model = _ocrb.load_model()
    for variant in _ocrb.VARIANTS:
        reads = [_ocrb.read_line(s, o.n, model=model, variant=variant) for s in o.strips]
        reads = _constrain(reads, o.n)
        texts = [r.text for r in reads]
        cands = [r.candidates for r in reads]
        try:
            mrz = _repair(texts, cands, reference_date)
        except MRZError:
            continue
        if mrz.valid:
            return mrz, texts, [r.confidences for r in reads], cands
    return None


_OTHER_FORMAT = {"TD3": "MRVA", "MRVA": "TD3", "TD2": "MRVB", "MRVB": "TD2"}
# The other format's document-code letter must be at least this likely to be tried.
_OTHER_CODE_MIN = 0.01


def _other_format(
    o: _Oriented, first: MRZ, reference_date: date | None
) -> tuple[MRZ, list[str], list[list[float]], Candidates] | None:
    """The reading as the other format of the same line length, when the check digits prefer it.

    A visa's ``V`` misread as ``P`` makes a 2x44 band a passport (TD3), whose
    personal-number and composite check digits then fail; read as MRV-A,
    the same text passes.  The other way round, a passport read as a visa
    passes too (visas have fewer check digits), but its composite check
    digit, which only a passport has, would also pass as TD3.  So the other
    format is taken when its document-code letter is not negligible and either
    the first reading fails its checks while the other passes, or both pass
    and the other has a composite check (TD3, TD2).

    References
    ----------
    ICAO Doc 9303 part 4 s4.2.2 (TD3), part 7 s4.2.2 (MRV-A, MRV-B), part 5 s4.2.2 (TD2).
    """
    alt = _OTHER_FORMAT.get(first.format)
    if alt is None or len(o.reads) != 2:
        return None
    letters = "V" if alt.startswith("MRV") else ("P" if alt == "TD3" else "ACI")
    p0 = o.reads[0].probs[0]
    if max(float(p0[_ocrb.ALPHABET.index(c)]) for c in letters) < _OTHER_CODE_MIN:
        return None
    if first.valid and alt.startswith("MRV"):
        return None
    reads = _constrain(o.reads, o.n, alt)
    texts = [r.text for r in reads]
    cands = [r.candidates for r in reads]
    try:
        mrz = _repair(texts, cands, reference_date)
    except MRZError:
        return None
    if mrz.format != alt or not mrz.valid:
        return None
    if alt.startswith("MRV"):
        # only fewer check digits pass: an unrepaired passport would read so too
        code = o.reads[0].text[0]
        warning = MRZWarning(
            code="repair_unconfirmed",
            message=f"the document code was read as `{code}` and taken as `V`: the text "
            f"passes the check digits of {alt} but not of {first.format}; "
            "confirm the document type",
        )
        mrz = mrz.model_copy(update={"warnings": [*mrz.warnings, warning]})
    return mrz, texts, [r.confidences for r in reads], cands


def _auto_second(
    o: _Oriented, first: MRZ, reference_date: date | None
) -> tuple[MRZ, list[str], list[list[float]], Candidates, str]:
    """Ask Tesseract about the lines ocrb is unsure of and repair with both."""
    texts: list[str] = []
    confs: list[list[float]] = []
    cands: Candidates = []
    asked = False
    fmt = FORMATS[_format_name(o.reads, o.n)]  # type: ignore[index]
    for r, s in zip(o.reads, o.strips, strict=True):
        if min(r.confidences) >= _LOW_CONF and first.valid:
            texts.append(r.text)
            confs.append(r.confidences)
            cands.append(r.candidates)
            continue
        try:
            tess, _ = _tesseract.read_line(tighten(s), o.n)
        except EngineError:
            tess = r.text
        asked = True
        text, _, cl = _merge(r, _align(tess, r))
        text, cl = _merged_number_prior(text, cl, fmt, len(texts))
        texts.append(text)
        cands.append(cl)
        confs.append([c[0][1] for c in cl])
    keep = (
        first,
        [r.text for r in o.reads],
        [r.confidences for r in o.reads],
        [r.candidates for r in o.reads],
        "auto:ocrb",
    )
    if not asked:
        return keep
    try:
        mrz = _repair(texts, cands, reference_date)
    except MRZError:
        return keep
    if first.valid and not mrz.valid:
        return keep
    return mrz, texts, confs, cands, "auto:ocrb+tesseract"


def _merged_number_prior(
    text: str, cands: list[list[tuple[str, float]]], fmt: Any, line: int
) -> tuple[str, list[list[tuple[str, float]]]]:
    """:func:`_number_prior` on merged candidates (after Tesseract's characters joined).

    Also drops characters the position's field cannot hold (Tesseract's
    whitelist is the whole MRZ set).
    """
    weights = _number_prior(text, fmt, line)
    out: list[list[tuple[str, float]]] = []
    chars = list(text)
    allowed = ["0123456789" + _LETTERS] * len(text)
    for f in fmt.fields:
        if f.line == line:
            for c in f.columns():
                if c < len(allowed):
                    allowed[c] = _KIND_CHARS.get(f.kind, allowed[c])
    for i, cl in enumerate(cands):
        ranked = [(c, p) for c, p in cl if c in allowed[i]] or list(cl)
        if weights is not None:
            ranked = [(c, p * float(weights[i, _ocrb.ALPHABET.index(c)])) for c, p in ranked]
        total = sum(p for _c, p in ranked) or 1.0
        ranked = sorted(((c, p / total) for c, p in ranked), key=lambda kv: -kv[1])
        chars[i] = ranked[0][0]
        out.append(ranked)
    return "".join(chars), out


def _debug_locate(
    st: _Stages, img: NDArray[np.uint8], gray: NDArray[np.uint8], cands: list[_Oriented]
) -> None:
    vis = img.copy()
    for k, o in enumerate(cands):
        pts = np.asarray(o.polygon, dtype=np.int32)
        cv2.polylines(
            vis, [pts], True, (0, 0, 255) if k == 0 else (255, 128, 0), max(2, img.shape[1] // 400)
        )
        cv2.circle(vis, tuple(int(v) for v in pts[0]), max(4, img.shape[1] // 150), (0, 200, 0), -1)
    st.save("03_bands.png", vis)
    if cands:
        o = cands[0]
        turned = _turn(gray, o.quarter)
        from misec_rules.vision._locate import _work_copy

        small, _ = _work_copy(turned)
        st.save("02_line_mask.png", line_mask(small, o.band.pitch))


def _debug_cells(st: _Stages, strip: NDArray[np.uint8], n: int, i: int) -> None:
    if st.debug is None:
        return
    t = tighten(strip)
    cells, _ = split_cells(t, n)
    vis = cv2.cvtColor(t, cv2.COLOR_GRAY2BGR)
    for a, _b in cells:
        cv2.line(vis, (int(a), 0), (int(a), vis.shape[0] - 1), (0, 0, 255), 1)
    st.save(
        f"05_cells{i + 1}.png", cv2.resize(vis, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    )
