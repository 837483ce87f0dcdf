"""What a screen reader and a keyboard get from a bplib widget in JupyterLab.

Chromium started with ``--enable-blink-features=ComputedAccessibilityInfo``
exposes ``element.computedRole`` and ``element.computedName``: the role and the
name it hands to a screen reader. These helpers read them for each control and
picture of one widget, and drive a widget with the keyboard alone.
"""
import json
import re

from lab_harness import _JS_PANEL, FEEDBACK, TIMEOUT_MS, _js

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

# The controls of a widget the keyboard reaches, in the page's order.
_JS_REACHABLE = """const reachable = (box) => {
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  return Array.from(box.querySelectorAll(SELECTOR))
    .filter(e => (e.tabIndex >= 0 || e.isContentEditable) && !e.disabled && shown(e))
    // typeset math (MathJax makes it focusable for its menu) is text, not a control
    .filter(e => !e.closest('mjx-container, .widget-htmlmath, .widget-html'));
};""".replace("SELECTOR", json.dumps(FOCUSABLE))

_JS_CONTROLS = """(box, PROBE) => {
  const state = STATE;
  REACHABLE
  const all = reachable(box);
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
    js = _JS_CONTROLS.replace("REACHABLE", _JS_REACHABLE).replace("STATE", _JS_STATE)
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


def settle(nb, timeout=TIMEOUT_MS):
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


# --- what the eye gets: contrast (WCAG 2 relative luminance) and whole focus rings ---------

TEXT_CONTRAST = 4.5   # WCAG 1.4.3, normal text
RING_CONTRAST = 3.5   # WCAG 1.4.11 asks 3:1; a margin, so a ring is not just at the limit

# Colours as the page paints them: an element's colour over the backgrounds behind it.
_JS_COLOURS = """
const rgba = (text) => {
  const n = (text.match(/[\\d.]+/g) || []).map(Number);
  return n.length >= 3 ? [n[0], n[1], n[2], n.length > 3 ? n[3] : 1] : [0, 0, 0, 0];
};
const over = (top, bottom) => {   // alpha compositing of two colours, the bottom opaque
  const a = top[3];
  return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
};
// The opaque colour behind e: the backgrounds of its ancestors on white, of those
// whose box holds all of rect (a slider's thin track does not hold its handle's ring).
const behind = (e, rect = null) => {
  const holds = (a) => {
    if (!rect) return true;
    const b = a.getBoundingClientRect();
    return b.left <= rect.left + 0.5 && b.top <= rect.top + 0.5
        && b.right >= rect.right - 0.5 && b.bottom >= rect.bottom - 0.5;
  };
  const layers = [];
  for (let a = e.parentElement; a; a = a.parentElement)
    if (a === document.documentElement || holds(a))
      layers.push(rgba(getComputedStyle(a).backgroundColor));
  return layers.reverse().reduce((c, layer) => over(layer, c), [255, 255, 255, 1]);
};
const own = (e) => over(rgba(getComputedStyle(e).backgroundColor), behind(e));
const luminance = (c) => {
  const [r, g, b] = c.slice(0, 3).map(v => v / 255)
    .map(v => v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a, b) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
const hex = (c) => '#' + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, '0')).join('');
"""

# The focus ring of e (focused): drawn or not, its contrast with the colours on both
# sides of it, and the boxes that cut it. A box whose overflow is not visible cuts
# what lies outside its padding box; the boxes up to the cell's output are ours.
_JS_RING = _JS_COLOURS + """
const ring = (e) => {
  const s = getComputedStyle(e);
  const width = parseFloat(s.outlineWidth) || 0, offset = parseFloat(s.outlineOffset) || 0;
  const colour = rgba(s.outlineColor);
  // inside the ring: the gap of an outside ring, else a band drawn by an inset shadow
  // that reaches the ring's inner edge, else the control's own background
  const grow = Math.max(0, offset + width);
  const r = e.getBoundingClientRect();
  const box = {left: r.left - grow, top: r.top - grow, right: r.right + grow, bottom: r.bottom + grow};
  let inner = offset > 0 ? behind(e, box) : own(e);
  const border = parseFloat(s.borderTopWidth) || 0;
  for (const m of s.boxShadow.matchAll(
      /(rgba?\\([^)]*\\))\\s+(-?[\\d.]+)px\\s+(-?[\\d.]+)px\\s+(-?[\\d.]+)px\\s+(-?[\\d.]+)px\\s+inset/g)) {
    if (offset <= 0 && border + parseFloat(m[5]) >= -offset) { inner = over(rgba(m[1]), own(e)); break; }
  }
  const outer = offset >= -width ? behind(e, box) : own(e);
  const clippedBy = [];
  for (let a = e.parentElement; a; a = a.parentElement) {
    const as = getComputedStyle(a);
    if (as.overflowX !== 'visible' || as.overflowY !== 'visible') {
      const b = a.getBoundingClientRect();
      const left = b.left + a.clientLeft, top = b.top + a.clientTop;
      const cut = {left: left - box.left, top: top - box.top,
                   right: box.right - (left + a.clientWidth), bottom: box.bottom - (top + a.clientHeight)};
      const sides = Object.entries(cut).filter(([, v]) => v > 0.5).map(([k, v]) => `${k} ${v.toFixed(1)}px`);
      if (sides.length)
        clippedBy.push(`${a.tagName.toLowerCase()}.${Array.from(a.classList).slice(-2).join('.')} `
                       + `(overflow ${as.overflowX}/${as.overflowY}) cuts ${sides.join(', ')}`);
    }
    if (a.matches('.jp-OutputArea-output')) break;
  }
  return {drawn: s.outlineStyle !== 'none' && width >= 2 && colour[3] > 0,
          width, offset, colour: hex(colour), inner: hex(inner), outer: hex(outer),
          contrast: Math.min(contrast(over(colour, inner), inner), contrast(over(colour, outer), outer)),
          clippedBy};
};
"""


def ring(page):
    """The focus ring of the focused element: a dict (see ``_JS_RING``), with its probe index."""
    return page.evaluate("() => {" + _JS_RING + f"""
      const e = document.activeElement;
      return {{index: e.getAttribute('{PROBE}'), ...ring(e)}};
    }}""")


def rings(widget):
    """Focus each control the keyboard reaches and measure its ring (``ring``); focus leaves after.

    A key press first (Shift, which does nothing) makes the browser show the ring of a
    focus moved by a script as it does for the keyboard (``:focus-visible``).
    """
    widget.page.keyboard.press("Shift")
    # named by their label, not their computed name: computing it takes Chromium 0.2 s a control
    return widget.evaluate("(box) => {" + _JS_RING + _JS_REACHABLE + """
      const found = reachable(box).map((e, index) => {
        e.focus();
        const name = e.getAttribute('aria-label') || e.textContent.trim() || e.tagName;
        return {index, name, ...ring(e)};
      });
      if (box.contains(document.activeElement)) document.activeElement.blur();
      return found;
    }""")


def feedback_colours(widget, kinds=("info", "right", "close", "error")):
    """The feedback's text colour for each kind, and its contrast with the background behind it.

    Each kind is shown for a moment on the widget's own feedback (``data-kind``), so the
    colour is measured where the widget really is, whatever its feedback says now.
    """
    return widget.locator(".bplib-live").first.evaluate("(live, kinds) => {" + _JS_COLOURS + """
      const pre = live.querySelector('pre') || live;
      const was = live.dataset.kind;
      const found = kinds.map(kind => {
        live.dataset.kind = kind;
        const text = rgba(getComputedStyle(pre).color), back = own(pre);
        return {kind, colour: hex(text), background: hex(back), contrast: contrast(over(text, back), back)};
      });
      live.dataset.kind = was;
      return found;
    }""", list(kinds))


def axe(widgets, script):
    """The violations axe-core finds in the widgets' own markup, one line each.

    ``widgets`` is a locator of one or more widgets: they are checked in one run, as axe
    reads the whole page each time. ``script`` is the path of ``axe.min.js``; it is put
    into the page once.
    """
    page = widgets.page
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    return widgets.evaluate_all("""async (boxes) => {
      if (!boxes.length) return [];
      const result = await window.axe.run({include: boxes}, {resultTypes: ['violations']});
      if (!result.passes.length && !result.violations.length) return ['no rule of axe applied'];
      return result.violations.flatMap(v => v.nodes.map(n =>
          `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')}: `
          + n.failureSummary.replace(/\\s+/g, ' ')));
    }""")
