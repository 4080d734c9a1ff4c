// The adverse-event report form, progressively enhanced: thumbnails of the
// photos chosen, and a message at once when there are too many (the
// server checks the same and says so without this file).
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("report-photos");
  const previews = document.getElementById("photo-previews");
  if (!input || !previews || !window.URL) return;
  const max = Number(input.dataset.maxFiles || "3");
  input.addEventListener("change", () => {
    for (const img of previews.querySelectorAll("img")) URL.revokeObjectURL(img.src);
    previews.replaceChildren();
    const files = Array.from(input.files || []);
    input.setCustomValidity(files.length > max ? input.dataset.tooMany : "");
    if (files.length > max) input.reportValidity();
    for (const file of files.slice(0, max)) {
      if (!file.type.startsWith("image/")) continue;
      const item = document.createElement("li");
      const img = document.createElement("img");
      img.src = URL.createObjectURL(file);
      img.alt = file.name;
      item.append(img);
      previews.append(item);
    }
    previews.hidden = previews.children.length === 0;
  });
});
