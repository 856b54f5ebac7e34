"""Pictures of the demo products: one generated SVG per product type.

``python -m kefu.shop.demo_images`` writes ``web/static/img/products/<type>.svg`` for every
product type of ``data/demo/catalog.json``: the category's colour, a shape of its own per
type and the type's name in both languages. Deterministic: the same catalogue gives the
same files.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
from html import escape
from pathlib import Path

from kefu.shop.demo_catalog import product_slug

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "data" / "demo" / "catalog.json"
OUT_DIR = ROOT / "web" / "static" / "img" / "products"


def _shape(index: int, colour: str) -> str:
    """One of several simple pictograms, centred at (160, 120)."""
    shapes = [
        f'<circle cx="160" cy="120" r="62" fill="{colour}"/>',
        f'<rect x="100" y="60" width="120" height="120" rx="22" fill="{colour}"/>',
        f'<polygon points="160,52 232,180 88,180" fill="{colour}"/>',
        f'<ellipse cx="160" cy="120" rx="86" ry="50" fill="{colour}"/>',
        f'<rect x="76" y="88" width="168" height="64" rx="32" fill="{colour}"/>',
        f'<polygon points="160,50 226,98 201,176 119,176 94,98" fill="{colour}"/>',
        f'<path d="M96 170 Q160 30 224 170 Z" fill="{colour}"/>',
        f'<rect x="118" y="50" width="84" height="140" rx="14" fill="{colour}"/>',
    ]
    return shapes[index % len(shapes)]


def _hex(hue: float, light: float, sat: float) -> str:
    r, g, b = (int(c * 255) for c in colorsys.hls_to_rgb(hue, light, sat))
    return f"#{r:02x}{g:02x}{b:02x}"


def render(noun_zh: str, noun_en: str, hue: float, index: int) -> str:
    """The SVG of one product type."""
    light, dark = _hex(hue, 0.93, 0.6), _hex(hue, 0.42, 0.55)
    # a second tone per type so two types of a category never look alike
    digest = int(hashlib.sha1(noun_en.encode("utf-8")).hexdigest()[:4], 16)
    accent_hue = (hue + 0.08 + (digest % 7) / 40) % 1.0
    accent = _hex(accent_hue, 0.6, 0.6)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 320" role="img" '
        f'aria-label="{escape(noun_en)}">'
        f'<rect width="320" height="320" fill="{light}"/>'
        f"{_shape(index, dark)}"
        f'<circle cx="{200 + (digest % 40)}" cy="{80 + (digest % 30)}" r="18" fill="{accent}"/>'
        f'<text x="160" y="244" text-anchor="middle" font-family="Noto Sans CJK SC, sans-serif" '
        f'font-size="30" fill="{dark}">{escape(noun_zh)}</text>'
        f'<text x="160" y="280" text-anchor="middle" font-family="sans-serif" '
        f'font-size="20" fill="{dark}">{escape(noun_en)}</text>'
        "</svg>\n"
    )


def write_images(catalog: Path = CATALOG, out_dir: Path = OUT_DIR) -> list[Path]:
    """Write one SVG per product type; returns the files written."""
    data = json.loads(catalog.read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    categories = list(data["categories"].items())
    for c, (_key, cat) in enumerate(categories):
        hue = c / len(categories)
        for n, (noun_zh, noun_en) in enumerate(cat["nouns"]):
            path = out_dir / f"{product_slug(noun_en)}.svg"
            path.write_text(render(noun_zh, noun_en, hue, n + c), encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover
    for file in write_images():
        print(file.relative_to(ROOT))
