"""Train the OCR-B glyph classifier shipped as src/misec_rules/vision/ocrb_model.npz.

Run from the repository root (about 2-4 minutes on one core)::

    nice -n 10 .venv/bin/python scripts/train_ocrb.py [--lines 5000] [--epochs 14] [--seed 0]

Training data are MRZ-like lines (random characters, filler runs of random
length) rendered with the OCR-B font of Debian's ``fonts-ocr-b`` package and
degraded the way scans and phone photos are: ink and paper tones, a
guilloche-like background, stroke width (erosion/dilation), horizontal
stretch, small rotation, blur, down-scaling to 8-40 pixel character height,
JPEG compression, noise and a misplaced line box.  Each line then goes through
exactly the code the reader uses (``cut_lines`` -> ``tighten`` ->
``split_cells`` -> ``cell_features``), so the classifier learns the cells the
segmentation really produces, neighbours' edges included.

The classifier is a two-layer perceptron (ReLU hidden layer, softmax output)
trained with Adam in numpy; weights are stored as float16.  The script prints
the held-out character accuracy.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from misec_rules.vision._locate import Band, TextLine, cut_lines, split_cells, tighten
from misec_rules.vision._ocrb import ALPHABET, cell_features

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "misec_rules" / "vision" / "ocrb_model.npz"
FONT_CANDIDATES = [
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),
    Path("/usr/share/fonts/truetype/ocr-b/OCRB.ttf"),
]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


def font_path() -> Path:
    """The OCR-B font file of fonts-ocr-b."""
    for p in FONT_CANDIDATES:
        if p.exists():
            return p
    for p in Path("/usr/share/fonts").rglob("OCRB*.[ot]tf"):
        if p.name.upper().startswith("OCRB.") or p.stem.upper() == "OCRB":
            return p
    sys.exit("train_ocrb: the OCR-B font is missing; install the Debian package fonts-ocr-b")


def random_line(rng: np.random.Generator, n: int) -> str:
    """An MRZ-like line: runs of letters, digits and fillers."""
    out: list[str] = []
    while len(out) < n:
        kind = rng.random()
        run = int(rng.integers(1, 10))
        if kind < 0.3:
            out.extend(rng.choice(list(LETTERS), run))
        elif kind < 0.6:
            out.extend(rng.choice(list(DIGITS), run))
        elif kind < 0.74:
            out.extend(rng.choice(list(ALPHABET), run))
        elif kind < 0.8:  # the pairs OCR confuses most, side by side
            out.extend(rng.choice(list("0O0OQD8B5S1I2Z"), run))
        else:
            out.extend("<" * int(rng.integers(1, 16)))
    return "".join(out[:n])


def render_line(
    rng: np.random.Generator, text: str, font_file: Path
) -> tuple[NDArray[np.uint8], TextLine, float]:
    """A degraded gray image holding ``text`` and its line geometry."""
    cap = 48.0  # render large, then scale down
    size = round(cap / 0.75)
    font = ImageFont.truetype(str(font_file), size)
    # ICAO pitch 2.54 mm for a 2.4 mm cap height is ~1.1 times the font's own
    # advance; printers vary, so the spacing is drawn separately from the glyph width
    adv = font.getlength("A") * rng.uniform(0.97, 1.2)
    n = len(text)
    margin = int(adv * rng.uniform(1.5, 4))
    w = int(n * adv + 2 * margin)
    h = int(cap * rng.uniform(3.5, 5.5))
    paper = int(rng.integers(150, 256))
    ink_level = int(rng.integers(0, min(90, paper - 60)))
    img = Image.new("L", (w, h), paper)
    d = ImageDraw.Draw(img)
    if rng.random() < 0.6:  # guilloche-like background
        tone = int(np.clip(paper - rng.integers(20, 90), 0, 255))
        for _ in range(int(rng.integers(3, 25))):
            amp, freq, ph = rng.uniform(5, h / 2), rng.uniform(0.002, 0.03), rng.uniform(0, 6.3)
            y0 = rng.uniform(0, h)
            xs = np.arange(0, w, 4)
            ys = y0 + amp * np.sin(freq * xs + ph)
            d.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=tone, width=1)
    if rng.random() < 0.15:  # a neighbouring text row
        f2 = ImageFont.truetype(str(font_file), int(size * rng.uniform(0.6, 1.0)))
        yy = h / 2 + rng.choice([-1, 1]) * cap * rng.uniform(1.6, 2.2) - cap / 2
        d.text((margin, yy), random_line(rng, n), font=f2, fill=ink_level)  # kerned: body text
    # glyph top offset inside the em box
    bbox = font.getbbox("H")
    y_draw = h / 2 - (bbox[1] + bbox[3]) / 2
    # one character at a time at a fixed pitch, as MRZ printers do (no kerning)
    for i, ch in enumerate(text):
        d.text((margin + i * adv, y_draw), ch, font=font, fill=ink_level)
    arr = np.asarray(img, dtype=np.uint8).copy()
    # stroke width
    r = rng.random()
    if r < 0.2:
        arr = cv2.erode(arr, np.ones((3, 3), np.uint8))  # bolder (dark ink grows)
    elif r < 0.4:
        arr = cv2.dilate(arr, np.ones((3, 3), np.uint8))  # thinner
    elif r < 0.5:
        arr = cv2.erode(arr, np.ones((5, 5), np.uint8))
    # horizontal stretch (printers differ from the nominal pitch)
    sx = rng.uniform(0.93, 1.08)
    arr = cv2.resize(arr, (int(w * sx), h), interpolation=cv2.INTER_AREA)
    x0 = margin * sx
    x1 = (margin + n * adv) * sx
    yc = h / 2
    # uneven light
    if rng.random() < 0.4:
        grad = np.linspace(rng.uniform(-60, 0), rng.uniform(0, 60), arr.shape[1])[None, :]
        arr = np.clip(arr.astype(np.float32) + grad, 0, 255).astype(np.uint8)
    # small rotation about the line centre
    ang = rng.normal(0, 1.0)
    cx = (x0 + x1) / 2
    m = cv2.getRotationMatrix2D((cx, yc), ang, 1.0)
    arr = cv2.warpAffine(arr, m, (arr.shape[1], h), borderMode=cv2.BORDER_REPLICATE)
    # blur at full size, then down-scale to the target character height
    target_cap = float(np.exp(rng.uniform(np.log(8.0), np.log(40.0))))
    s = target_cap / cap
    sigma = rng.uniform(0, 2.2) * cap / max(target_cap, 8.0) * 0.6
    if sigma > 0.3:
        arr = cv2.GaussianBlur(arr, (0, 0), sigma)
    small = cv2.resize(
        arr,
        (max(8, int(arr.shape[1] * s)), max(8, int(h * s))),
        interpolation=cv2.INTER_AREA,
    )
    if rng.random() < 0.5:
        q = int(rng.integers(15, 95))
        ok, enc = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            small = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    if rng.random() < 0.6:
        noise = rng.normal(0, rng.uniform(2, 14), small.shape)
        small = np.clip(small.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    # the line as the band finder would report it, with errors
    pts = np.array([[x0, yc], [x1, yc]], dtype=np.float64)
    pts = (m[:, :2] @ pts.T).T + m[:, 2]
    pts *= s
    cap_s = cap * s
    jit_y = rng.normal(0, 0.12) * cap_s
    jit_x0 = rng.normal(0, 0.25) * adv * sx * s
    jit_x1 = rng.normal(0, 0.25) * adv * sx * s
    thickness = cap_s * rng.uniform(0.95, 1.45)
    line = TextLine(
        p0=(float(pts[0, 0] + jit_x0), float(pts[0, 1] + jit_y)),
        p1=(float(pts[1, 0] + jit_x1), float(pts[1, 1] + jit_y)),
        thickness=float(thickness),
    )
    return small, line, adv * sx * s


def make_data(
    count: int, seed: int, font_file: Path
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Features and labels of ``count`` rendered lines."""
    rng = np.random.default_rng(seed)
    xs: list[NDArray[np.float32]] = []
    ys: list[NDArray[np.int64]] = []
    index = {c: i for i, c in enumerate(ALPHABET)}
    for _ in range(count):
        n = int(rng.choice([30, 36, 44]))
        text = random_line(rng, n)
        img, line, pitch = render_line(rng, text, font_file)
        band = Band((line,), 0.0, 1.0, pitch)
        strip = cut_lines(img, band)[0]
        t = tighten(strip)
        cells, _ = split_cells(t, n)
        xs.append(cell_features(t, cells))
        ys.append(np.array([index[c] for c in text], dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def train(
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    *,
    hidden: int,
    epochs: int,
    seed: int,
) -> dict[str, NDArray[np.float32]]:
    """Adam on softmax cross-entropy for a one-hidden-layer ReLU network."""
    rng = np.random.default_rng(seed)
    mean = x.mean(axis=0)
    scale = 1.0 / (x.std(axis=0) + 0.1)
    z = ((x - mean) * scale).astype(np.float32)
    d, k = z.shape[1], len(ALPHABET)
    params = {
        "w1": (rng.normal(0, np.sqrt(2.0 / d), (d, hidden))).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": (rng.normal(0, np.sqrt(1.0 / hidden), (hidden, k))).astype(np.float32),
        "b2": np.zeros(k, np.float32),
    }
    mom = {n: np.zeros_like(p) for n, p in params.items()}
    vel = {n: np.zeros_like(p) for n, p in params.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    step = 0
    batch = 256
    onehot = np.eye(k, dtype=np.float32)
    for epoch in range(epochs):
        lr = 2e-3 * (0.5 ** (epoch / max(1, epochs // 3)))
        perm = rng.permutation(len(z))
        total = 0.0
        for i in range(0, len(z), batch):
            idx = perm[i : i + batch]
            xb, yb = z[idx], y[idx]
            # input dropout-like noise for robustness
            xb = xb + rng.normal(0, 0.1, xb.shape).astype(np.float32)
            h = np.maximum(xb @ params["w1"] + params["b1"], 0)
            logits = h @ params["w2"] + params["b2"]
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            target = onehot[yb] * 0.98 + 0.02 / k
            total += float(-(target * np.log(p + 1e-9)).sum())
            g_logits = (p - target) / len(idx)
            grads = {
                "w2": h.T @ g_logits + 1e-5 * params["w2"],
                "b2": g_logits.sum(axis=0),
            }
            g_h = (g_logits @ params["w2"].T) * (h > 0)
            grads["w1"] = xb.T @ g_h + 1e-5 * params["w1"]
            grads["b1"] = g_h.sum(axis=0)
            step += 1
            for name, g in grads.items():
                mom[name] = b1 * mom[name] + (1 - b1) * g
                vel[name] = b2 * vel[name] + (1 - b2) * g * g
                mh = mom[name] / (1 - b1**step)
                vh = vel[name] / (1 - b2**step)
                params[name] -= (lr * mh / (np.sqrt(vh) + eps)).astype(np.float32)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(z):.4f}", file=sys.stderr)
    return {"mean": mean.astype(np.float32), "scale": scale.astype(np.float32), **params}


def accuracy(
    model: dict[str, NDArray[np.float32]], x: NDArray[np.float32], y: NDArray[np.int64]
) -> float:
    """Top-1 accuracy of ``model`` on features ``x``."""
    z = (x - model["mean"]) * model["scale"]
    h = np.maximum(z @ model["w1"] + model["b1"], 0)
    return float(((h @ model["w2"] + model["b2"]).argmax(axis=1) == y).mean())


def main(argv: list[str] | None = None) -> int:
    """Render, train, evaluate and save the model."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=5000, help="training lines to render")
    ap.add_argument("--hidden", type=int, default=192, help="hidden units")
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    font_file = font_path()
    t0 = time.process_time()
    x, y = make_data(args.lines, args.seed, font_file)
    xt, yt = make_data(max(200, args.lines // 10), args.seed + 1, font_file)
    print(
        f"data: {len(x)} train / {len(xt)} test glyphs in {time.process_time() - t0:.0f} s CPU",
        file=sys.stderr,
    )
    model = train(x, y, hidden=args.hidden, epochs=args.epochs, seed=args.seed)
    acc = accuracy(model, xt, yt)
    half = {k: v.astype(np.float16) for k, v in model.items()}
    acc16 = accuracy({k: v.astype(np.float32) for k, v in half.items()}, xt, yt)
    buf = io.BytesIO()
    np.savez_compressed(buf, **half)
    args.out.write_bytes(buf.getvalue())
    print(
        f"held-out glyph accuracy {acc:.4f} (float16 {acc16:.4f}); "
        f"wrote {args.out} ({len(buf.getvalue()) // 1024} KiB) "
        f"in {time.process_time() - t0:.0f} s CPU",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
