"""What a screen reader and a keyboard get from a bplib widget in JupyterLab.

Chromium started with ``--enable-blink-features=ComputedAccessibilityInfo``
exposes ``element.computedRole`` and ``element.computedName``: the role and the
name it hands to a screen reader. These helpers read them for each control and
picture of one widget, and drive a widget with the keyboard alone.
"""
import json
import re

from lab_harness import _JS_PANEL, FEEDBACK, _js

# What the keyboard reaches: the same list as the widgets' front end uses.
FOCUSABLE = "input, select, textarea, button, [tabindex], [contenteditable='true']"
PROBE = "data-access-probe"
WORD = re.compile(r"[A-Za-z]{3,}")
# Keys that run a notebook command when the notebook, not a widget, has them:
# cut (x), insert above/below (a, b), delete (d d), to Markdown (m). Not undo (z),
# which would put back a cut cell and hide what happened.
NOTEBOOK_KEYS = ["x", "b", "a", "d", "d", "m"]

# A control's value now: a slider's (as its readout shows it: aria-valuenow keeps one
# decimal), a drop-down's, a text box's; and a slider's range.
_JS_STATE = """e => {
  const readout = e.closest('.widget-slider')?.querySelector('.widget-readout');
  const slider = e.getAttribute('role') === 'slider';
  return {value: slider && readout ? readout.textContent : (e.value ?? null),
          now: e.getAttribute('aria-valuenow'),
          min: e.getAttribute('aria-valuemin'), max: e.getAttribute('aria-valuemax')};
}"""

_JS_CONTROLS = """(box, PROBE) => {
  const state = STATE;
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const all = Array.from(box.querySelectorAll(SELECTOR))
    .filter(e => (e.tabIndex >= 0 || e.isContentEditable) && !e.disabled && shown(e))
    // typeset math (MathJax makes it focusable for its menu) is text, not a control
    .filter(e => !e.closest('mjx-container, .widget-htmlmath, .widget-html'));
  return all.map((e, i) => {
    e.setAttribute(PROBE, String(i));
    return {index: i, tag: e.tagName, role: e.computedRole, name: e.computedName,
            cls: e.className, editable: e.isContentEditable,
            ...state(e),
            suppress: e.getAttribute('data-lm-suppress-shortcuts')};
  });
}"""


def controls(widget):
    """Every control of the widget the keyboard reaches, in the page's order, with role and name.

    Each element gets a ``data-access-probe`` attribute with its index, for ``control()``.
    """
    js = _JS_CONTROLS.replace("SELECTOR", json.dumps(FOCUSABLE)).replace("STATE", _JS_STATE)
    return widget.evaluate(js, PROBE)


def control(widget, index):
    """Locator of the control that ``controls()`` listed at ``index``."""
    return widget.locator(f"[{PROBE}='{index}']")


def state(widget, index):
    """The value of the control at ``index`` now, with a slider's range: a dict."""
    return control(widget, index).evaluate(_JS_STATE)


def pictures(widget):
    """Role and name of each picture in the widget (img, canvas, svg, role=img)."""
    return widget.evaluate("""box => Array.from(box.querySelectorAll(
        "img, canvas, svg:not([aria-hidden='true']), [role='img']"))
      .filter(e => !e.closest("[aria-hidden='true']"))
      .map(e => ({tag: e.tagName, role: e.computedRole, name: e.computedName,
                  natural: e.naturalWidth || 0, shown: e.clientWidth}))""")


def live_region(widget):
    """The live region of the widget's feedback: its role, politeness and text (None if none)."""
    return widget.locator(FEEDBACK).first.evaluate("""f => {
      const live = '[aria-live], [role=status]';
      const r = f.matches(live) ? f : f.querySelector(live);
      if (!r) return null;
      return {role: r.computedRole, live: r.getAttribute('aria-live'), text: r.innerText};
    }""")


def watch_live_region(widget):
    """Start counting the changes of the live region's text, on the element that is there now."""
    widget.locator(FEEDBACK).first.evaluate("""f => {
      const r = f.querySelector('[aria-live], [role=status]') || f;
      r.__changes = [];
      r.__watch = new MutationObserver(() => r.__changes.push(r.innerText));
      r.__watch.observe(r, {childList: true, subtree: true, characterData: true});
      window.__bplibLive = r;
    }""")


def live_region_changes(widget):
    """The texts the watched live region announced, or None when it left the page."""
    return widget.page.evaluate("""() => {
      const r = window.__bplibLive;
      if (!r || !r.isConnected) return null;
      r.__watch.disconnect();
      return r.__changes;
    }""")


def cells(nb):
    """The notebook's cells as 'type:id', to tell that no key inserted or deleted one."""
    return nb.page.evaluate(_js(_JS_PANEL + """
      return nb().content.widgets.map(c => c.model.type + ':' + c.model.id);""", nb.path))


def focused(page):
    """The probe index of the focused element and whether a focus ring shows on it."""
    return page.evaluate(f"""() => {{
      const e = document.activeElement;
      const s = getComputedStyle(e);
      return {{index: e.getAttribute('{PROBE}'),
               ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}};
    }}""")


def settle(nb, timeout=30_000):
    """Wait until the kernel has answered every widget message the page sent."""
    nb.page.evaluate("() => new Promise(r => setTimeout(r, 40))")
    nb.page.wait_for_function("p => window.__bplibComm[p].pending.size === 0", arg=nb.path,
                              timeout=timeout)
    nb.page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def value_key(c):
    """The key that changes a control, by its role; None for a readout (typed, not stepped)."""
    if c["role"] == "slider":
        at_top = c["max"] is not None and float(c["now"]) >= float(c["max"])
        return "ArrowLeft" if at_top else "ArrowRight"
    if c["role"] == "combobox":
        return "ArrowDown"
    if c["editable"]:
        return None
    return "Enter"   # a button presses, a text box submits
