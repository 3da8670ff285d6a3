"""The two Teams app icons, drawn with Pillow at build time.

Teams needs a 192×192 full-colour icon and a 32×32 outline icon that is
white on a fully transparent background. Both show the letters "LN"
(Loughborough and North Charnwood). Shapes are drawn as a greyscale mask at
four times the final size and scaled down, so edges are smooth; colour is
only applied afterwards, which keeps the outline icon's pixels pure white.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

ACCENT_COLOUR = "#1B5E7A"
"""Deep teal-blue behind the colour icon; also the manifest's accentColor."""

COLOUR_SIZE = 192
OUTLINE_SIZE = 32
MONOGRAM = "LN"
WHITE = (255, 255, 255)
SUPERSAMPLE = 4


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """Turn '#RRGGBB' into an (r, g, b) tuple."""
    value = colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def _draw_centred_text(draw: ImageDraw.ImageDraw, size: int, text: str, font_size: int, stroke: int) -> None:
    """Draw text in white (mask value 255), centred on a size×size canvas."""
    font = ImageFont.load_default(size=font_size)
    draw.text(
        (size / 2, size / 2),
        text,
        fill=255,
        font=font,
        anchor="mm",
        stroke_width=stroke,
        stroke_fill=255,
    )


def _colour_mask(size: int) -> Image.Image:
    """Mask for the colour icon: a thin ring and bold letters inside it."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    inset = size * 0.17  # keeps the emblem inside Teams' safe area
    draw.ellipse(
        (inset, inset, size - inset, size - inset),
        outline=255,
        width=round(size * 0.035),
    )
    _draw_centred_text(draw, size, MONOGRAM, round(size * 0.30), round(size * 0.012))
    return mask


def _outline_mask(size: int) -> Image.Image:
    """Mask for the outline icon: a rounded square border around the letters."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    pad = size // 16  # one pixel of padding at 32×32, as Teams suggests
    draw.rounded_rectangle(
        (pad, pad, size - pad - 1, size - pad - 1),
        radius=size // 5,
        outline=255,
        width=size // 16,
    )
    _draw_centred_text(draw, size, MONOGRAM, round(size * 0.50), round(size * 0.02))
    return mask


def _downscaled(mask: Image.Image, size: int) -> Image.Image:
    """Scale a supersampled mask down to its final size with smooth edges."""
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def colour_icon(accent: str = ACCENT_COLOUR) -> Image.Image:
    """The 192×192 RGB icon: white emblem on a square of the accent colour."""
    mask = _downscaled(_colour_mask(COLOUR_SIZE * SUPERSAMPLE), COLOUR_SIZE)
    background = Image.new("RGB", (COLOUR_SIZE, COLOUR_SIZE), _hex_to_rgb(accent))
    foreground = Image.new("RGB", (COLOUR_SIZE, COLOUR_SIZE), WHITE)
    return Image.composite(foreground, background, mask)


def outline_icon() -> Image.Image:
    """The 32×32 RGBA icon: pure white, shaped only by its alpha channel."""
    mask = _downscaled(_outline_mask(OUTLINE_SIZE * SUPERSAMPLE), OUTLINE_SIZE)
    icon = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (*WHITE, 0))
    icon.putalpha(mask)
    return icon


def png_bytes(image: Image.Image) -> bytes:
    """Encode an image as PNG bytes, ready to go into the app package."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
