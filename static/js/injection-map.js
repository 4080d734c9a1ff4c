// The injection map of the charting page. Without this file the page offers
// a plain table of rows (a zone instead of a place on the drawing); with it,
// a click on the drawing adds a numbered point and a row for its product,
// lot, volume and depth. Everything is kept in the hidden input "points" as
// a JSON list of {diagram, x, y, zone, product, lot, volume_ml, depth_mm},
// x and y being fractions of the drawing's width and height. A product's lot
// starts as the one the server suggests (first expiry with stock on hand).
(() => {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";

  function start() {
    const map = document.getElementById("injection-map");
    const form = document.getElementById("chart-form");
    const hidden = document.getElementById("id_points");
    const body = document.getElementById("points-body");
    if (!map || !form || !hidden || !body) return;

    const products = JSON.parse(document.getElementById("chart-products").textContent);
    const drawings = JSON.parse(document.getElementById("chart-zones").textContent);
    const diagram = map.dataset.diagram;
    const zones = (drawings[diagram] || { zones: [] }).zones;
    const width = Number(map.dataset.width);
    const height = Number(map.dataset.height);
    const layer = document.getElementById("injection-map-points");
    const count = document.getElementById("points-count");
    const empty = document.getElementById("points-empty");
    const box = document.getElementById("map-box");
    const defaultVolume = box ? box.dataset.defaultVolume || "" : "";
    // Translated words, from the page.
    const table = document.getElementById("points-table");
    const words = table ? table.dataset : {};
    const say = (key, fallback) => words[key] || fallback;

    // The plain rows are for pages without this script; they must not be
    // sent beside the map.
    const plain = document.getElementById("plain-points");
    if (plain) plain.remove();

    let points = [];
    try {
      const restored = JSON.parse(hidden.value || "[]");
      if (Array.isArray(restored)) {
        points = restored.filter((p) => p && typeof p === "object").map((p) => ({
          diagram: p.diagram || diagram,
          x: Number(p.x) || 0,
          y: Number(p.y) || 0,
          zone: p.zone || "",
          product: p.product || null,
          lot: p.lot || null,
          volume_ml: p.volume_ml == null ? "" : String(p.volume_ml),
          depth_mm: p.depth_mm == null ? "" : String(p.depth_mm),
          placed: true,
        }));
      }
    } catch (error) {
      points = [];
    }

    const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 10000) / 10000));
    const productById = (id) => products.find((p) => String(p.id) === String(id));

    function nearestZone(x, y) {
      let best = "";
      let bestDistance = Infinity;
      for (const zone of zones) {
        const dx = (zone.x - x) * width;
        const dy = (zone.y - y) * height;
        const distance = dx * dx + dy * dy;
        if (distance < bestDistance) {
          best = zone.key;
          bestDistance = distance;
        }
      }
      // Farther than about a tenth of the drawing: not in any named zone.
      return bestDistance <= Math.pow(Math.max(width, height) / 9, 2) ? best : "";
    }

    function serialise() {
      hidden.value = JSON.stringify(
        points.map((p) => ({
          diagram: p.diagram,
          x: p.x,
          y: p.y,
          zone: p.zone,
          product: p.product ? Number(p.product) : null,
          lot: p.lot ? Number(p.lot) : null,
          volume_ml: p.volume_ml,
          depth_mm: p.depth_mm,
        })),
      );
      if (count) count.textContent = String(points.length);
      if (empty) empty.hidden = points.length > 0;
    }

    function option(value, label, selected) {
      const element = document.createElement("option");
      element.value = value;
      element.textContent = label;
      if (selected) element.selected = true;
      return element;
    }

    function fillLots(select, point) {
      select.replaceChildren(option("", "—", false));
      const product = productById(point.product);
      const lots = product ? product.lots : [];
      for (const lot of lots) {
        let label = `${lot.number} (${say("tExpires", "expires")} ${lot.expiry})`;
        if (lot.on_hand !== undefined) label += `, ${lot.on_hand} ${product.unit} ${say("tOnHand", "on hand")}`;
        if (lot.suggested) label += ` — ${say("tFirst", "use first")}`;
        select.append(option(String(lot.id), label, String(lot.id) === String(point.lot)));
      }
      if (!lots.some((lot) => String(lot.id) === String(point.lot))) point.lot = null;
      // First expiry, first out: the suggested lot, else the only one.
      const chosen = lots.find((lot) => lot.suggested) || (lots.length === 1 ? lots[0] : null);
      if (!point.lot && chosen) {
        point.lot = chosen.id;
        select.value = String(chosen.id);
      }
    }

    function labelled(control, id, text) {
      const label = document.createElement("label");
      label.className = "visually-hidden";
      label.htmlFor = id;
      label.textContent = text;
      control.id = id;
      const cell = document.createElement("td");
      cell.append(label, control);
      return cell;
    }

    function row(point, n) {
      const tr = document.createElement("tr");
      tr.id = `point-row-${n}`;
      tr.dataset.n = String(n);
      const number = document.createElement("th");
      number.scope = "row";
      number.textContent = String(n);
      tr.append(number);

      const zone = document.createElement("select");
      zone.append(option("", "—", false));
      for (const z of zones) zone.append(option(z.key, z.label, z.key === point.zone));
      if (point.zone && !zones.some((z) => z.key === point.zone)) {
        zone.append(option(point.zone, point.zone, true));
      }
      zone.addEventListener("change", () => {
        point.zone = zone.value;
        const found = zones.find((z) => z.key === zone.value);
        // A point added from the keyboard is placed by its zone.
        if (found && !point.placed) {
          point.x = found.x;
          point.y = found.y;
          drawPoints();
        }
        serialise();
      });
      tr.append(labelled(zone, `point-${n}-zone`, `${say("tZone", "Zone of point")} ${n}`));

      const product = document.createElement("select");
      product.append(option("", "—", false));
      for (const p of products) {
        // Bought outside the maker's authorised supply: said beside its name.
        const name = p.warning ? `${p.name} (${say("tUnauthorised", "unauthorised supplier")})` : p.name;
        product.append(option(String(p.id), name, String(p.id) === String(point.product)));
      }
      const lot = document.createElement("select");
      product.addEventListener("change", () => {
        point.product = product.value || null;
        point.lot = null;
        fillLots(lot, point);
        serialise();
      });
      lot.addEventListener("change", () => {
        point.lot = lot.value || null;
        serialise();
      });
      fillLots(lot, point);
      tr.append(labelled(product, `point-${n}-product`, `${say("tProduct", "Product for point")} ${n}`));
      tr.append(labelled(lot, `point-${n}-lot`, `${say("tLot", "Lot for point")} ${n}`));

      for (const [key, suffix, text, step] of [
        ["volume_ml", "volume", `${say("tVolume", "Volume (ml) of point")} ${n}`, "0.001"],
        ["depth_mm", "depth", `${say("tDepth", "Depth (mm) of point")} ${n}`, "0.1"],
      ]) {
        const input = document.createElement("input");
        input.type = "number";
        input.min = step;
        input.step = step;
        input.inputMode = "decimal";
        input.value = point[key];
        input.addEventListener("input", () => {
          point[key] = input.value;
          serialise();
        });
        tr.append(labelled(input, `point-${n}-${suffix}`, text));
      }

      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button-secondary point-remove";
      remove.id = `point-${n}-remove`;
      remove.textContent = say("tRemove", "Remove");
      remove.setAttribute("aria-label", `${say("tRemovePoint", "Remove point")} ${n}`);
      remove.addEventListener("click", () => {
        points.splice(n - 1, 1);
        render();
        const next = document.getElementById(`point-${Math.min(n, points.length)}-zone`);
        (next || document.getElementById("add-centre-point") || map).focus();
      });
      const cell = document.createElement("td");
      cell.append(remove);
      tr.append(cell);
      return tr;
    }

    function drawPoints() {
      if (!layer) return;
      layer.replaceChildren();
      points.forEach((point, index) => {
        if (point.diagram !== diagram) return;
        const n = index + 1;
        const group = document.createElementNS(SVG, "g");
        group.setAttribute("class", "map-point");
        group.setAttribute("data-n", String(n));
        group.id = `map-point-${n}`;
        const circle = document.createElementNS(SVG, "circle");
        circle.setAttribute("cx", String(point.x * width));
        circle.setAttribute("cy", String(point.y * height));
        circle.setAttribute("r", "9");
        const text = document.createElementNS(SVG, "text");
        text.setAttribute("x", String(point.x * width));
        text.setAttribute("y", String(point.y * height));
        text.setAttribute("text-anchor", "middle");
        text.setAttribute("dominant-baseline", "central");
        text.textContent = String(n);
        group.append(circle, text);
        layer.append(group);
      });
    }

    function render() {
      body.replaceChildren(...points.map((point, index) => row(point, index + 1)));
      drawPoints();
      serialise();
    }

    function add(x, y, zone, placed) {
      const last = points[points.length - 1];
      points.push({
        diagram,
        x: clamp(x),
        y: clamp(y),
        zone,
        // A new point copies the product, lot, volume and depth of the one
        // before: most sessions inject one product at one depth.
        product: last ? last.product : products.length === 1 ? products[0].id : null,
        lot: last ? last.lot : null,
        volume_ml: last ? last.volume_ml : defaultVolume,
        depth_mm: last ? last.depth_mm : "",
        placed,
      });
      render();
    }

    map.addEventListener("click", (event) => {
      const hit = event.target.closest ? event.target.closest(".map-point") : null;
      if (hit) {
        const zone = document.getElementById(`point-${hit.dataset.n}-zone`);
        if (zone) zone.focus();
        return;
      }
      const matrix = map.getScreenCTM();
      if (!matrix) return;
      const at = map.createSVGPoint();
      at.x = event.clientX;
      at.y = event.clientY;
      const inside = at.matrixTransform(matrix.inverse());
      const x = clamp(inside.x / width);
      const y = clamp(inside.y / height);
      add(x, y, nearestZone(x, y), true);
    });

    const centre = document.getElementById("add-centre-point");
    if (centre) {
      centre.addEventListener("click", () => {
        add(0.5, 0.5, "", false);
        const zone = document.getElementById(`point-${points.length}-zone`);
        if (zone) zone.focus();
      });
    }

    form.addEventListener("submit", serialise);
    render();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
