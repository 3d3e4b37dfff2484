"""Accessibility checks run inside Chromium: axe-core (vendored, see vendor/axe-core/README.md) and touch-target sizes.

axe is injected through the DevTools protocol (page.evaluate), which the page's strict CSP does not apply to,
so the app is checked exactly as it is served.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_TARGET_PX = 44

_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 160),
                              why: (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 300)})),
  }));
}"""

# Every element a finger can hit. A radio or checkbox counts with its label (tapping the label ticks it).
_SMALL_TARGETS = """(min) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest("[hidden], dialog:not([open])") || el.getClientRects().length === 0) { continue; }
    let rect = el.getBoundingClientRect();
    if (rect.right <= 0 || rect.bottom <= 0) {  // parked off screen until focused (the skip link)
      el.focus(); rect = el.getBoundingClientRect(); el.blur();
    }
    if (el.matches("input[type=radio], input[type=checkbox]")) {
      const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) { rect = label.getBoundingClientRect(); }
    }
    if (rect.width < min || rect.height < min) {
      const name = (el.getAttribute("aria-label") || el.textContent || el.name || el.id || "").trim().replace(/\\s+/g, " ");
      small.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${name.slice(0, 40)}": ` +
                 `${Math.round(rect.width)}x${Math.round(rect.height)}`);
    }
  }
  return small;
}"""


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations for the WCAG 2.0-2.2 A and AA tags on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(_RUN_AXE, AXE_TAGS)


def describe(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{where}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"      at {node['target']}  {node['html']}")
            lines.append(f"         {node['why']}")
    return "\n".join(lines)


class AxeAudit:
    """Collects axe results page by page, so one run reports every violation on the walk, not just the first."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.failures: list[str] = []

    def check(self, page: Any, where: str) -> None:
        violations = axe_violations(page)
        self.checked.append(where)
        if violations:
            self.failures.append(describe(where, violations))

    def assert_clean(self) -> None:
        assert not self.failures, (f"axe-core ({', '.join(AXE_TAGS)}) found violations on "
                                   f"{len(self.failures)} of {len(self.checked)} pages:\n" + "\n".join(self.failures))


def small_targets(page: Any) -> list[str]:
    """Interactive elements smaller than 44x44 CSS pixels (WCAG 2.5.5's size), described for the failure message."""
    return page.evaluate(_SMALL_TARGETS, MIN_TARGET_PX)


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the screen (0 means no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
