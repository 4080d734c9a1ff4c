// Progressive enhancement for the self-screening page: show only the areas
// of the chosen indication, and only the questions that apply to that
// indication at that area. Without this file the server makes the same
// checks, so nothing depends on it.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-screening]");
  if (!form) return;
  const indication = form.querySelector("select[name=indication]");
  const area = form.querySelector("select[name=area]");
  if (!indication || !area) return;

  const update = () => {
    const chosen = indication.value;
    for (const option of area.options) {
      if (!option.value) continue;
      const serves = (option.dataset.indications || "").split(" ");
      const fits = !chosen || serves.includes(chosen);
      option.hidden = !fits;
      option.disabled = !fits;
    }
    if (area.selectedOptions.length && area.selectedOptions[0].disabled) area.value = "";
    const pair = `${chosen}:${area.value}`;
    const known = Boolean(chosen && area.value);
    for (const row of form.querySelectorAll("[data-relevant]")) {
      row.hidden = known && !row.dataset.relevant.split(" ").includes(pair);
    }
  };
  indication.addEventListener("change", update);
  area.addEventListener("change", update);
  update();
});
