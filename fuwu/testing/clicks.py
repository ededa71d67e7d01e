"""Click counts of the desk's journeys, measured in the browser tests.

A journey counts the clicks (and taps) a person makes with the pointer, and the keys that
submit or choose something (Enter), from its first page to its last. The count lives in the
tab's sessionStorage, so it survives the page loads in between. Typing into a field is not a
click; choosing from a <select> counts as one (a person opens it and picks).

    clicks = Clicks(page, "phone repair intake")
    ... the journey ...
    clicks.report(limit=6)   # prints the figure, records it, fails above the limit

Every figure is printed and written to test-artifacts/clicks.json, one entry per journey and
language/size, so the closing note of a change can quote before and after.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from fuwu.testing.browser import ARTIFACTS

_COUNTER = """
(() => {
  if (window.__fuwuClicks) return;
  window.__fuwuClicks = true;
  const key = 'fuwu-clicks';
  const bump = () => {
    const n = parseInt(sessionStorage.getItem(key) || '0', 10) + 1;
    sessionStorage.setItem(key, String(n));
  };
  document.addEventListener('click', (e) => {
    if (!e.isTrusted || e.detail === 0) return;
    // A click on a label clicks its control as well (a second trusted event): count it once.
    const label = e.target instanceof Element ? e.target.closest('label') : null;
    if (label && label.control && label.control !== e.target) return;
    bump();
  }, true);
  // Playwright's select_option() fires an untrusted change: a person opened the list and
  // picked, so a change of a <select> counts whatever its origin (the desk's own scripts
  // never fire one).
  document.addEventListener('change', (e) => {
    if (e.target instanceof HTMLSelectElement) bump();
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.isTrusted && e.key === 'Enter' && !(e.target instanceof HTMLTextAreaElement)) bump();
  }, true);
})();
"""

_LOCK = threading.Lock()


class Clicks:
    """Counts one journey's clicks in one page (tab)."""

    def __init__(self, page: Any, journey: str, *, variant: str = "") -> None:
        self.page = page
        self.journey = journey
        self.variant = variant
        page.add_init_script(_COUNTER)
        page.evaluate(_COUNTER)
        self.reset()

    def reset(self) -> None:
        """Start counting from zero (the journey begins now)."""
        self.page.evaluate("sessionStorage.setItem('fuwu-clicks', '0')")

    @property
    def count(self) -> int:
        return int(self.page.evaluate("parseInt(sessionStorage.getItem('fuwu-clicks') || '0', 10)"))

    def report(self, *, limit: int | None = None) -> int:
        """Print and record the count; fail the test when it is above ``limit``."""
        n = self.count
        name = f"{self.journey} [{self.variant}]" if self.variant else self.journey
        print(f"\nclicks: {name}: {n}" + (f" (at most {limit})" if limit is not None else ""))
        target = ARTIFACTS / "clicks.json"
        with _LOCK:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                figures = json.loads(target.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                figures = {}
            figures[name] = n
            target.write_text(json.dumps(figures, ensure_ascii=False, indent=1), "utf-8")
        if limit is not None:
            assert n <= limit, f"{name}: {n} clicks, at most {limit} allowed"
        return n
