"""The two parts of a widget that ipywidgets cannot draw: the feedback and the picture.

ipywidgets sets no ARIA attributes from Python, so these two are anywidgets: a
small ES module each (``feedback.js``, ``picture.js``), loaded by the browser
as they are, without a build step.

- :class:`Feedback` is a live region (``role=status``, ``aria-live=polite``)
  that exists from the first text on, so each change is announced. It also
  names the controls of its widget in words and symbols, keeps keys pressed on
  them from running JupyterLab's notebook shortcuts, and sends Enter in a text
  box to the kernel.
- :class:`Picture` shows a PNG with its text alternative, drawn at the
  screen's pixel density and at the width the layout gives it.
"""
from pathlib import Path

import anywidget
import traitlets as t

HERE = Path(__file__).parent
BASE_DPI = 80      # pixels per inch of a figure at a pixel density of 1


class Feedback(anywidget.AnyWidget):
    """What a widget says, in a live region, and the names of its controls.

    Attributes
    ----------
    text : str, the feedback as plain text
    kind : str, 'info', 'right', 'close' or 'error' (a colour; the words say the same)
    controls : dict
        {CSS class of a control: {"name": words and symbol, "description": str,
        "enter": bool}}, the accessible name of each control of the widget.
    """

    _esm = (HERE / "feedback.js").read_text()
    _css = (HERE / "widgets.css").read_text()
    text = t.Unicode("").tag(sync=True)
    kind = t.Unicode("info").tag(sync=True)
    controls = t.Dict().tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._on_enter = {}
        self.on_msg(self._message)

    def on_enter(self, css_class, callback):
        """Call ``callback(text)`` when Enter is pressed in the text box of that control."""
        self._on_enter[css_class] = callback

    def _message(self, _, content, buffers):
        if isinstance(content, dict) and content.get("event") == "enter":
            callback = self._on_enter.get(content.get("control"))
            if callback is not None:
                callback(str(content.get("value", "")))


class Picture(anywidget.AnyWidget):
    """A figure as PNG bytes with a text alternative, sharp on any screen.

    Parameters
    ----------
    fig : matplotlib Figure, whose size in inches sets the shown size

    Attributes
    ----------
    value : bytes, the PNG
    alt : str, what the picture shows, in words and numbers
    width, height : float, the natural size in CSS pixels
    scale : float, the screen's pixel density (set by the browser)
    shown : float, the width the layout gives the picture in CSS pixels (set by the
        browser; 0 before it is shown)
    """

    _esm = (HERE / "picture.js").read_text()
    value = t.Bytes(b"").tag(sync=True)
    alt = t.Unicode("").tag(sync=True)
    width = t.Float(0.0).tag(sync=True)
    height = t.Float(0.0).tag(sync=True)
    scale = t.Float(1.0).tag(sync=True)
    shown = t.Float(0.0).tag(sync=True)

    def __init__(self, fig, **kwargs):
        w_in, h_in = fig.get_size_inches()
        super().__init__(width=float(w_in * BASE_DPI), height=float(h_in * BASE_DPI), **kwargs)
        self.fig = fig
        self._redraw = None
        self.observe(self._resized, names=["scale", "shown"])

    @property
    def dpi(self):
        """Pixels per inch that fill the shown width at the screen's density."""
        fit = self.shown / self.width if 0 < self.shown < self.width else 1.0
        return BASE_DPI * max(self.scale, 0.25) * fit

    def on_resize(self, redraw):
        """Call ``redraw()`` after the figure's dpi follows a new density or width."""
        self._redraw = redraw

    def _resized(self, _):
        if abs(self.fig.dpi - self.dpi) < 0.5:
            return
        self.fig.set_dpi(self.dpi)
        if self._redraw is not None:
            self._redraw()

    def draw(self, png, alt):
        """Show new PNG bytes and their text alternative together."""
        with self.hold_sync():
            self.value = png
            self.alt = alt
