"""Latency of the widgets in a real JupyterLab: key press on a slider -> new feedback text.

Starts JupyterLab and headless Chromium as the browser tests do
(tests/browser/lab_harness.py), runs the notebooks that show bplib widgets
with sliders, and presses ArrowRight / ArrowLeft on every slider of each
widget, ``--presses`` times. Each press is timed in the page with
performance.now(): from the keydown to the first change a MutationObserver
sees in the widget's ``.bplib-feedback`` area. Prints the median and the 90th
percentile per slider and per widget; the goal is under 100 ms.

    .venv/bin/python benchmarks/widget_latency.py [--presses 20]

Needs /usr/bin/chromium (.ci/install-browser) and the playwright package.
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

from lab_harness import (DEMO, NOTEBOOKS, LabServer, Workbook, demo_notebook,  # noqa: E402
                         launch_chromium, missing_browser, notebook_paths)

GOAL_MS = 100
SLIDER_KINDS = ("bplib-chain-stepper", "bplib-network-explorer", "bplib-playground")

# Page side of one measurement: the keydown stamps t0, the first mutation of
# the feedback area after it stamps t1.
WATCH = """(area) => {
  const w = window.__bplibLatency = {t0: null, t1: null};
  document.addEventListener('keydown', () => { w.t0 = performance.now(); w.t1 = null; },
                            {capture: true});
  new MutationObserver(() => {
    if (w.t0 !== null && w.t1 === null) w.t1 = performance.now();
  }).observe(area, {childList: true, subtree: true, characterData: true});
}"""


def percentile(values, q):
    """The q-th percentile (0..100) by linear interpolation, as numpy's default."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def measure_slider(nb, widget, handle, presses):
    """Milliseconds from key press to new feedback, for ``presses`` presses (None: no change)."""
    widget.locator(".bplib-feedback").first.evaluate(WATCH)
    top = float(handle.get_attribute("aria-valuemax"))
    bottom = float(handle.get_attribute("aria-valuemin"))
    times = []
    key = "ArrowRight"
    for _ in range(presses):
        now = float(handle.get_attribute("aria-valuenow"))
        if now >= top:
            key = "ArrowLeft"
        elif now <= bottom:
            key = "ArrowRight"
        handle.focus()
        nb.act(lambda: handle.press(key))  # wait until the kernel has answered, then read
        t0, t1 = nb.page.evaluate("() => [window.__bplibLatency.t0, window.__bplibLatency.t1]")
        if t1 is None:
            return None
        times.append(t1 - t0)
        key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=20, help="key presses per slider")
    args = parser.parse_args(argv)
    reason = missing_browser()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    extra = {} if NOTEBOOKS else {DEMO: demo_notebook()}
    rows, per_kind = [], {}
    with LabServer(extra=extra) as lab, sync_playwright() as pw:
        browser = launch_chromium(pw)
        book = Workbook(browser, lab, notebook_paths(), ahead=0)
        try:
            for kind in SLIDER_KINDS:
                nb = book.find(kind)
                if nb is None:
                    print(f"{kind}: no notebook shows one", file=sys.stderr)
                    continue
                nb.activate()
                widget = nb.widgets(kind).first
                widget.scroll_into_view_if_needed()
                sliders = widget.locator(".widget-slider")
                for i in range(sliders.count()):
                    box = sliders.nth(i)
                    label = box.locator(".widget-label").first.text_content().strip()
                    times = measure_slider(nb, widget, box.locator(".noUi-handle").first,
                                           args.presses)
                    if times is None:
                        rows.append((kind, label, nb.path, None))
                        continue
                    rows.append((kind, label, nb.path, times))
                    per_kind.setdefault(kind, []).extend(times)
        finally:
            book.close()
            browser.close()

    print(f"key press -> new .bplib-feedback text, in ms ({args.presses} presses per slider; "
          f"goal < {GOAL_MS} ms)")
    print(f"{'widget':<24} {'slider':<12} {'median':>8} {'p90':>8} {'max':>8}  notebook")
    for kind, label, path, times in rows:
        if times is None:
            print(f"{kind:<24} {label:<12} {'(the feedback does not follow this slider)':>26}  {path}")
            continue
        print(f"{kind:<24} {label:<12} {statistics.median(times):8.1f} "
              f"{percentile(times, 90):8.1f} {max(times):8.1f}  {path}")
    print()
    worst = 0.0
    for kind, times in per_kind.items():
        p90 = percentile(times, 90)
        worst = max(worst, p90)
        print(f"{kind:<24} {'all':<12} {statistics.median(times):8.1f} {p90:8.1f} "
              f"{max(times):8.1f}  n = {len(times)}")
    print(f"\n90th percentile of the slowest widget: {worst:.1f} ms "
          f"({'within' if worst < GOAL_MS else 'over'} the {GOAL_MS} ms goal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
