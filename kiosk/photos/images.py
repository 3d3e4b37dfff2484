"""A photo from a camera made safe to keep: checked before decoding, re-encoded from pixels alone, no metadata left.

Pure (Pillow only): the limits are passed in. The stored JPEG is built from a fresh image holding only the
pixels (turned upright first, as the camera's orientation tag said), so no EXIF, GPS, XMP, ICC, comment or
thumbnail of the original can survive.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
LONGEST_SIDE = 3000  # pixels kept on the longest side: enough to compare skin, small enough to keep for years
QUALITY = 88


class PhotoRefused(ValueError):
    """Nothing was stored; `reason` is a code the view turns into words: too_large, too_many_pixels, not_an_image,
    unusable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes  # a baseline JPEG with no metadata
    sha256: str
    width: int
    height: int


def clean_photo(raw: bytes, *, max_bytes: int, max_pixels: int) -> CleanPhoto:
    """Check the upload's size and pixel count before decoding, then re-encode its pixels alone; raises PhotoRefused."""
    if len(raw) > max_bytes:
        raise PhotoRefused("too_large")
    if not raw:
        raise PhotoRefused("not_an_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:  # reads the header only
                if probe.format not in ACCEPTED_FORMATS:
                    raise PhotoRefused("not_an_image")
                width, height = probe.size
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise PhotoRefused("too_many_pixels")
                probe.load()  # decode now, inside the checks: a truncated or corrupt file fails here
                upright = ImageOps.exif_transpose(probe).convert("RGB")
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused("too_many_pixels") from None
    except UnidentifiedImageError:
        raise PhotoRefused("not_an_image") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise PhotoRefused("unusable") from None
    upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    bare = Image.new("RGB", upright.size)  # a fresh image: its info (exif, xmp, icc_profile, comments) is empty
    bare.paste(upright)
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=QUALITY, optimize=True)
    data = out.getvalue()
    return CleanPhoto(data=data, sha256=hashlib.sha256(data).hexdigest(), width=bare.width, height=bare.height)
