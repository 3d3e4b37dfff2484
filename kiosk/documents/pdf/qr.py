"""The verification QR code: encoded once, drawn straight on the canvas as one filled path."""

from __future__ import annotations

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.platypus import Flowable

QUIET_ZONE = 4  # modules of light margin on every side, as the QR standard asks for


def qr_matrix(text: str, level: str = "M") -> list[list[bool]]:
    """Encode text as QR modules (True = dark), row by row from the top, without the quiet zone."""
    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(text)
    code.make()
    return [[bool(module) for module in row] for row in code.modules]


def dark_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Each row's dark modules merged into (row, first column, length) runs, so a row costs a few rectangles."""
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(matrix):
        start = -1
        for c, dark in enumerate(row):
            if dark and start < 0:
                start = c
            elif not dark and start >= 0:
                runs.append((r, start, c - start))
                start = -1
        if start >= 0:
            runs.append((r, start, len(row) - start))
    return runs


class QrCode(Flowable):
    """A square QR code, quiet zone included, drawn as one path: hundreds of Rect shapes cost far more."""

    def __init__(self, matrix: list[list[bool]], size: float) -> None:
        super().__init__()
        self.width = self.height = size
        self.hAlign = "LEFT"
        self._runs = dark_runs(matrix)
        self._module = size / (len(matrix) + 2 * QUIET_ZONE)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas, module, top = self.canv, self._module, self.height
        path = canvas.beginPath()
        for row, column, length in self._runs:
            path.rect((column + QUIET_ZONE) * module, top - (row + QUIET_ZONE + 1) * module,
                      length * module, module)
        canvas.setFillColor(colors.black)
        canvas.drawPath(path, stroke=0, fill=1)
