"""A patient who can answer any wizard step by reading the form, for checks that must see every page and error.

It knows no step by name: it answers each radio group (yes to the first health question, no to the rest, else
the first choice), ticks the first box of each checkbox group, fills required text, and presses the page's
primary button. New steps (a comprehension check, say) are walked without changes here. Labels and buttons are
found by selector, never by their words, so the same walk runs in every language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tests.browser.conftest import LiveServer
from tests.browser.test_wizard_browser import INITIALS, NAME

try:
    from playwright.sync_api import Page
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

DETAIL = "Last spring, it went well"
PAST_DATE = "2020-01-15"
SUBMIT = "main form[method=post] button.primary[type=submit]"
ERRORS = ".error-summary, main .error"
DONE = "/consent/done"

_CLEAR = """() => {
  for (const el of document.querySelectorAll(
      "main form[method=post] input, main form[method=post] textarea, main form[method=post] select")) {
    if (el.type === "hidden") { continue; }
    if (el.type === "radio" || el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
  }
  document.dispatchEvent(new Event("change"));
}"""

_GROUPS = """(type) => [...new Set([...document.querySelectorAll(`main form[method=post] input[type=${type}]`)]
  .filter(el => el.getClientRects().length > 0).map(el => el.name))]"""

_EMPTY = """() => [...document.querySelectorAll(
  "main form[method=post] input:not([type=hidden]):not([type=radio]):not([type=checkbox]), main form[method=post] textarea")]
  .filter(el => el.getClientRects().length > 0 && !el.value
          && (el.required || el.tagName === "TEXTAREA" || el.type === "date"
              || el.name.endsWith("-day") || el.name.endsWith("-year")))
  .map(el => ({id: el.id, name: el.name, type: el.type}))"""


_EMPTY_SELECTS = """() => [...document.querySelectorAll("main form[method=post] select")]
  .filter(el => el.getClientRects().length > 0 && !el.value).map(el => el.id)"""


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def text_for(name: str, kind: str, code: str) -> str:
    """What the patient types into a field, by the field's name."""
    if kind == "date":
        return "1990-05-17" if name == "date_of_birth" else PAST_DATE
    if name.endswith(("-day", "-year")):  # a date of birth in parts (the month is a list)
        return "17" if name.endswith("-day") else "1990"
    return {"code": code, "full_name": NAME, "initials": INITIALS,
            "printed_name": NAME}.get(name, DETAIL)


def submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator(SUBMIT).first.click()


def clear_form(page: Page) -> None:
    page.evaluate(_CLEAR)


def fill_step(page: Page, code: str) -> None:
    """Answer whatever the page asks."""
    main = page.locator("main form[method=post]")
    for index, name in enumerate(page.evaluate(_GROUPS, "radio")):
        group = main.locator(f'input[type=radio][name="{name}"]')
        if main.locator(f'input[type=radio][name="{name}"]:checked').count():
            continue
        values = group.evaluate_all("els => els.map(el => el.value)")
        want = ("yes" if index == 0 else "no") if {"yes", "no"} <= set(values) else values[0]
        main.locator(f'input[type=radio][name="{name}"][value="{want}"]').check()
    for name in page.evaluate(_GROUPS, "checkbox"):
        if not main.locator(f'input[type=checkbox][name="{name}"]:checked').count():
            main.locator(f'input[type=checkbox][name="{name}"]').first.check()
    for select in page.evaluate(_EMPTY_SELECTS):  # a month chosen by name: May
        page.locator(f'#{select}').select_option("5")
    for field in page.evaluate(_EMPTY):
        page.locator(f'#{field["id"]}').fill(text_for(field["name"], field["type"], code))


def page_key(path: str) -> str:
    """Risk pages share one template, and the start page posts to /consent/start: each error state is shown once."""
    return "/" if path == "/consent/start" else re.sub(r"/\d+$", "/N", path)


def walk_wizard(page: Page, server: LiveServer, code: str, on_page: Callable[[Page, str], Any], *,
                errors: bool = True, start: str | None = "/", done: str = DONE) -> None:
    """From `start` (None: the page already open) to `done`, calling on_page for each page and its error states.

    The same walk answers a check-in's pages (start=None once the code is in, done="/checkin/done").
    """
    if start is not None:
        page.goto(server.url + start)
    shown_errors: set[str] = set()
    for _ in range(80):
        path = path_of(page)
        on_page(page, path)
        if path == done:
            return
        if errors and page_key(path) not in shown_errors:
            shown_errors.add(page_key(path))
            _show_errors(page, path, on_page)
        fill_step(page, code)
        submit(page)
        if path_of(page) == path and page.locator(ERRORS).count():
            raise AssertionError(f"the walk could not answer {path}: {page.locator(ERRORS).first.inner_text()}")
    raise AssertionError(f"the walk did not reach {done}; stuck at {page.url}")


def _show_errors(page: Page, path: str, on_page: Callable[[Page, str], Any]) -> None:
    """Send the step empty (and, where there is one, with a typical wrong answer) to see its error messages."""
    clear_form(page)
    submit(page)
    if page.locator(ERRORS).count():  # the start page shows its errors at /consent/start
        on_page(page, f"{path} errors")
    if path == "/":
        page.locator("#code").fill("AAA-AAA")
        submit(page)
        on_page(page, "/ wrong code")
        page.locator("#code").fill("")
    if page.locator("main form[method=post] input[type=date]").count() and path != "/consent/identity":
        # a yes to a question that asks for a date, without the date
        question = page.locator("main form[method=post] input[type=date]").first.get_attribute("name")[len("date_"):]
        fill_step(page, "")
        page.locator(f'input[name="q_{question}"][value="yes"]').check()
        submit(page)
        on_page(page, f"{path} missing date")
