"""What every widget shares: a feedback area, named controls, safe callbacks, a figure.

A widget is a thin view over a plain function that returns text. The view
holds that text in ``.feedback``, shows it in a live region with the CSS class
``bplib-feedback``, and never lets a callback raise: a mistake in the input is
shown in the widget, and the user's work (sliders, typed text) stays as it was.
Each control has a name in words and symbol ("learning rate lr"), for screen
readers and for the keyboard; each figure a text alternative in numbers.
"""
import functools
import io
from dataclasses import dataclass

import ipywidgets as w

from ._front import BASE_DPI, Feedback, Picture

FEEDBACK_CLASS = "bplib-feedback"
WIDGET_CLASS = "bplib-widget"
# Parts of a widget that show and take nothing: the rest are its controls.
_NOT_CONTROLS = (w.Box, w.HTML, w.HTMLMath, w.Label, w.Output, w.Image, Feedback, Picture)


@dataclass
class Name:
    """The accessible name of one control: words and symbol, and what the symbol means.

    Attributes
    ----------
    control : ipywidgets widget
    name : str, e.g. "learning rate lr"
    description : str, a longer explanation, or ""
    """

    control: object
    name: str
    description: str = ""


class Widget:
    """A widget that displays itself with one call.

    Subclasses pass their rows of controls and pictures, and each control's
    accessible name as ``(control, name, description)``; the top container
    ``self.box`` gets the stable CSS class ``css_class``, and
    ``self.show(text)`` updates the feedback area ``self.feedback_area``.
    """

    css_class = "bplib-widget"

    def __init__(self, children, names=()):
        self.feedback_area = Feedback()
        self.feedback_area.add_class(FEEDBACK_CLASS)
        self.box = w.VBox(list(children) + [self.feedback_area])
        self.box.add_class(WIDGET_CLASS)
        self.box.add_class(self.css_class)
        self._feedback = ""
        self.error = None
        self.names = []
        with self.feedback_area.hold_sync():   # one message to the browser, not one a name
            for n in names:
                self.name(*n)

    def name(self, control, name, description="", enter=None):
        """Give ``control`` an accessible name; ``enter(text)`` runs on Enter in its text box."""
        css = f"bplib-control-{len(self.names)}"
        control.add_class(css)
        self.names.append(Name(control, name, description))
        spec = {"name": name, "description": description, "enter": enter is not None}
        self.feedback_area.controls = {**self.feedback_area.controls, css: spec}
        if enter is not None:
            self.feedback_area.on_enter(css, enter)

    def _parts(self):
        """Every widget inside the box that is not itself a box, in the order shown."""
        found, todo = [], [self.box]
        while todo:
            widget = todo.pop(0)
            if isinstance(widget, w.Box):
                todo[:0] = widget.children
            else:
                found.append(widget)
        return found

    def controls(self):
        """Every control in the widget (sliders, boxes, buttons, Play), in the order shown."""
        return [c for c in self._parts()
                if isinstance(c, w.DOMWidget) and not isinstance(c, _NOT_CONTROLS)]

    def accessible_name(self, control):
        """The name a screen reader says for ``control`` (None when it has none)."""
        return next((n.name for n in self.names if n.control is control), None)

    def pictures(self):
        """The widget's figures (each a Picture with a text alternative ``.alt``)."""
        return [p for p in self._parts() if isinstance(p, Picture)]

    @property
    def feedback(self):
        """The text the feedback area shows, as plain text."""
        return self._feedback

    def show(self, text, kind="info"):
        """Show plain text in the feedback area; kind is info, right, close or error."""
        self._feedback = text
        with self.feedback_area.hold_sync():
            self.feedback_area.text = text
            self.feedback_area.kind = kind

    def show_error(self, e):
        """Show an exception in the lecture's words, the way the widget shows feedback."""
        self.error = e
        self.show(f"{_message(e)}", kind="error")

    def _repr_mimebundle_(self, **kwargs):
        # The widget view for the browser; a stable text for nbval and terminals
        # (the default text is the widget's repr, with its PNG bytes and ids).
        data = self.box._repr_mimebundle_(**kwargs)
        if isinstance(data, tuple):
            data = data[0]
        data = dict(data or {})
        data["text/plain"] = self.summary()
        return data

    def summary(self):
        """What the widget shows, as text."""
        return self.feedback

    def __repr__(self):
        return self.summary()


def _message(e):
    text = str(e) or type(e).__name__
    if isinstance(e, ValueError):  # NotationError and friends are already phrased for students
        return text
    return f"{type(e).__name__}: {text}"


def safe(callback):
    """Decorate a widget method so that an exception shows in its feedback area."""

    @functools.wraps(callback)
    def run(self, *args, **kwargs):
        try:
            self.error = None
            return callback(self, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 - any error must reach the student, not the log
            self.show_error(e)
            return None

    return run


def figure(width, height, ncols=1):
    """A matplotlib Figure that never touches pyplot, so no global state or backend."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=BASE_DPI, layout="constrained")
    axes = fig.subplots(1, ncols) if ncols > 1 else fig.add_subplot()
    return fig, axes


def png(fig):
    """The figure drawn by Agg, as PNG bytes for an ipywidgets Image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # Fast zlib level: the PNG only travels to the browser once.
    canvas.print_png(buf, pil_kwargs={"compress_level": 1})
    if fig.get_layout_engine() is not None:
        # Constrained layout costs about as much as the drawing itself; the
        # first drawing fixed the axes' places, so later ones keep them.
        fig.set_layout_engine("none")
    return buf.getvalue()


def image(fig):
    """A Picture that will show the figure; update with ``img.draw(png(fig), alt)``.

    The Picture starts empty: draw first, then set its value, since the first
    drawing fixes the layout.
    """
    return Picture(fig)


def wipe(ax):
    """Remove what was drawn on the axes but keep the axes and their ticks.

    ``ax.clear()`` rebuilds every tick, which costs more than the drawing.
    """
    for group in (ax.lines, ax.collections, ax.patches, ax.texts, ax.images):
        for artist in list(group):
            artist.remove()
    ax.relim()
    ax.set_prop_cycle(None)   # the next line gets the first colour again


class Blit:
    """Redraw only the moving artists of a figure over its saved background.

    The static part (axes, ticks, curves) is drawn once; each update restores
    it and draws the ``artists`` alone, which is what a slider move changes.

    Parameters
    ----------
    fig : matplotlib Figure
    artists : list of Artist, the ones that move
    """

    def __init__(self, fig, artists):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig, self.artists = fig, list(artists)
        for a in self.artists:
            a.set_animated(True)   # left out of the full drawing, so not in the background
        self.canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        self.canvas.draw()
        if fig.get_layout_engine() is not None:
            fig.set_layout_engine("none")
        self.background = self.canvas.copy_from_bbox(fig.bbox)

    def png(self):
        """PNG bytes of the background with the artists drawn as they are now."""
        from PIL import Image

        self.canvas.restore_region(self.background)
        for a in self.artists:
            a.axes.draw_artist(a)
        rgba = self.canvas.buffer_rgba()
        buf = io.BytesIO()
        Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1).save(
            buf, format="png", compress_level=1)
        return buf.getvalue()
