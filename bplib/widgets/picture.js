// A figure drawn by the kernel, with its text alternative.
//
// The browser tells the kernel its pixel density (devicePixelRatio) and the width the
// layout gives the picture; the kernel draws that many pixels, and the picture is shown
// at its natural size in CSS pixels (or narrower, when the cell is), so it stays sharp.

function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "bplib-picture";
  img.style.maxWidth = "100%";
  img.style.height = "auto";
  let url = null;
  const draw = () => {
    const data = model.get("value");
    img.alt = model.get("alt");
    img.style.width = `${model.get("width")}px`;
    img.style.aspectRatio = `${model.get("width")} / ${model.get("height")}`;
    if (!data || !data.byteLength) return;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const next = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
    img.src = next;
    if (url) URL.revokeObjectURL(url);
    url = next;
  };
  draw();
  model.on("change:value", draw);
  model.on("change:alt", draw);
  el.appendChild(img);

  let timer = 0, media = null;
  const report = () => {
    timer = 0;
    const scale = window.devicePixelRatio || 1;
    const room = el.clientWidth;
    const shown = room > 0 ? Math.min(room, model.get("width")) : 0;
    if (scale !== model.get("scale") || Math.abs(shown - model.get("shown")) > 2) {
      model.set("scale", scale);
      model.set("shown", shown);
      model.save_changes();
    }
    watchDensity();
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(report, 150); };
  const watchDensity = () => {   // moving the window to another screen changes the density
    if (media) media.removeEventListener("change", soon);
    media = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    media.addEventListener("change", soon);
  };
  const resized = new ResizeObserver(soon);
  resized.observe(el);
  window.addEventListener("resize", soon);   // zooming the page changes the density too
  soon();
  return () => {
    clearTimeout(timer);
    resized.disconnect();
    window.removeEventListener("resize", soon);
    if (media) media.removeEventListener("change", soon);
    model.off("change:value", draw);
    model.off("change:alt", draw);
    if (url) URL.revokeObjectURL(url);
  };
}

export default { render };
