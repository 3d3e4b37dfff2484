"""Print the readability of every consent text file: Flesch-Kincaid grade (English, at most 8) and
Fernández-Huerta (Spanish, at least 55; Szigriszt-Pazos/INFLESZ beside it), with the hardest passage of each file.

Run from the repository root:  .venv/bin/python bench/bench_readability.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.readability import EN_MAX_GRADE, ES_MIN_SCORE, scores  # noqa: E402


def main() -> None:
    results = scores()
    print(f"{'file':42} {'words':>6} {'score':>7} {'INFLESZ':>8}  hardest passage")
    for whole in (s for s in results if not s.passage):
        parts = [s for s in results if s.file == whole.file and s.passage]
        hardest = max(parts, key=lambda s: s.value) if whole.language == "en" else min(parts, key=lambda s: s.value)
        inflesz = f"{whole.szigriszt_pazos:8.1f}" if whole.szigriszt_pazos is not None else f"{'':8}"
        print(f"{whole.file:42} {whole.words:6d} {whole.value:7.1f} {inflesz}  {hardest.passage} ({hardest.value:.1f})")
    failing = [s for s in results if not s.passes]
    print(f"thresholds: English grade <= {EN_MAX_GRADE}, Spanish Fernández-Huerta >= {ES_MIN_SCORE}; "
          f"{len(results)} scores, {len(failing)} failing")


if __name__ == "__main__":
    main()
