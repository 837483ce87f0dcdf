// The feedback area of a bplib widget, and what the widget's box needs from the browser.
//
// - The feedback is a live region (role=status, aria-live=polite) drawn with the first
//   text, so a screen reader announces each later change.
// - Controls get their names in words and symbols (aria-label), and a description where
//   only a symbol is shown; Play's icon buttons are named play, pause, stop, repeat.
// - Keys pressed on a control stay in the widget: JupyterLab runs no notebook shortcut
//   for an element that carries data-lm-suppress-shortcuts (it checks the focused
//   element itself, so every focusable element gets the attribute).
// - Enter in a text box the Python side asked for sends {event: "enter"} to the kernel.

const FOCUSABLE = "input, select, textarea, button, [tabindex], [contenteditable='true']";
const PLAY_ICONS = [["fa-pause", "pause"], ["fa-play", "play"], ["fa-stop", "stop"],
                    ["fa-retweet", "repeat"], ["fa-repeat", "repeat"]];

function set(el, name, value) {
  if (value === undefined || value === null || value === "") return;
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function iconWord(button) {
  const icon = button.querySelector("i");
  if (!icon) return null;
  for (const [cls, word] of PLAY_ICONS) if (icon.classList.contains(cls)) return word;
  return null;
}

function nameControls(box, controls) {
  for (const [cls, spec] of Object.entries(controls)) {
    const node = box.querySelector("." + cls);
    if (!node) continue;
    const label = node.querySelector(".widget-label");
    if (label && spec.description) set(label, "title", spec.description);
    const own = node.matches(FOCUSABLE) ? [node] : [];
    for (const el of own.concat(Array.from(node.querySelectorAll(FOCUSABLE)))) {
      let name = spec.name;
      if (el.classList.contains("widget-readout")) {   // an editable number, not a bare div
        name = `${spec.name}, typed value`;
        set(el, "role", "textbox");
      }
      const word = el.tagName === "BUTTON" && !el.textContent.trim() ? iconWord(el) : null;
      if (word) name = `${word} (${spec.name})`;
      set(el, "aria-label", name);
      set(el, "aria-description", spec.description);
      if (word) set(el, "title", word);
    }
  }
  for (const el of box.querySelectorAll(FOCUSABLE)) set(el, "data-lm-suppress-shortcuts", "true");
}

function controlOf(el, controls) {
  for (const cls of Object.keys(controls)) if (el.closest("." + cls)) return cls;
  return null;
}

function watchBox(model, el) {
  let box = null, observer = null, frame = 0, tries = 0;
  const apply = () => { frame = 0; if (box) nameControls(box, model.get("controls")); };
  const later = () => { if (!frame) frame = requestAnimationFrame(apply); };
  const onFocus = (e) => set(e.target, "data-lm-suppress-shortcuts", "true");
  const onKey = (e) => {
    if (e.key !== "Enter" || e.target.tagName !== "INPUT") return;
    const cls = controlOf(e.target, model.get("controls"));
    if (cls && model.get("controls")[cls].enter) {
      e.preventDefault();
      model.send({event: "enter", control: cls, value: e.target.value});
    }
  };
  const attach = () => {
    box = el.closest(".bplib-widget");
    if (!box) {   // the box puts its children into the page after drawing them
      if (tries++ < 600) frame = requestAnimationFrame(attach);
      return;
    }
    frame = 0;
    apply();
    // Views draw their parts again (options, Play's icons): name them again.
    observer = new MutationObserver(later);
    observer.observe(box, {childList: true, subtree: true, attributes: true,
                           attributeFilter: ["class"]});
    box.addEventListener("focusin", onFocus);
    box.addEventListener("keydown", onKey, true);   // the text view stops keydown on its way up
  };
  attach();
  model.on("change:controls", later);
  return () => {
    if (frame) cancelAnimationFrame(frame);
    if (observer) observer.disconnect();
    if (box) {
      box.removeEventListener("focusin", onFocus);
      box.removeEventListener("keydown", onKey, true);
    }
    model.off("change:controls", later);
  };
}

function render({ model, el }) {
  const region = document.createElement("div");
  region.className = "bplib-live";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  const pre = document.createElement("pre");
  region.appendChild(pre);
  const show = () => {
    pre.textContent = model.get("text");
    region.dataset.kind = model.get("kind");
  };
  show();
  model.on("change:text", show);
  model.on("change:kind", show);
  el.appendChild(region);
  const unwatch = watchBox(model, el);
  return () => {
    unwatch();
    model.off("change:text", show);
    model.off("change:kind", show);
  };
}

export default { render };
