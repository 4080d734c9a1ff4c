// A signature pad: draw on a <canvas> with a mouse, a finger or a pen
// (pointer events), and the drawing is written as a PNG data URL into the
// hidden input of the form at the end of every stroke. The server checks
// the PNG (not empty, not blank, not too big); this file only draws.
//
// Markup (clinical/consents/sign.html):
//   <div data-signature-pad>
//     <canvas ...></canvas>
//     <input type="hidden" name="signature">
//     <button type="button" data-signature-clear>...</button>
//     <span role="status" data-empty data-signed data-cleared></span>
//   </div>
(() => {
  "use strict";

  const INK = "#111";
  const LINE_WIDTH = 2.5; // in canvas pixels

  function setUp(root) {
    const canvas = root.querySelector("canvas");
    const input = root.querySelector('input[type="hidden"]');
    const clear = root.querySelector("[data-signature-clear]");
    const status = root.querySelector('[role="status"]');
    if (!canvas || !input || !canvas.getContext) return;
    const context = canvas.getContext("2d");
    let drawing = false;
    let last = null;
    let strokes = 0;

    function say(key) {
      if (status && status.dataset[key]) status.textContent = status.dataset[key];
    }

    // The canvas keeps its own size in pixels; CSS may show it smaller or
    // larger, so pointer positions are scaled into canvas pixels.
    function point(event) {
      const box = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - box.left) * canvas.width) / box.width,
        y: ((event.clientY - box.top) * canvas.height) / box.height,
      };
    }

    function style() {
      context.strokeStyle = INK;
      context.fillStyle = INK;
      context.lineWidth = LINE_WIDTH;
      context.lineCap = "round";
      context.lineJoin = "round";
    }

    function dot(at, pressure) {
      context.beginPath();
      context.arc(at.x, at.y, (LINE_WIDTH * pressure) / 2 + 0.5, 0, Math.PI * 2);
      context.fill();
    }

    function pressureOf(event) {
      // A mouse reports 0.5 while pressed; pens report their pressure.
      return event.pointerType === "pen" && event.pressure > 0 ? 0.5 + event.pressure : 1;
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 && event.pointerType === "mouse") return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      style();
      dot(last, pressureOf(event));
    });

    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      event.preventDefault();
      // Coalesced events keep fast pen strokes smooth where supported.
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const e of events.length ? events : [event]) {
        const at = point(e);
        context.lineWidth = LINE_WIDTH * pressureOf(e);
        context.beginPath();
        context.moveTo(last.x, last.y);
        context.lineTo(at.x, at.y);
        context.stroke();
        last = at;
      }
    });

    function end(event) {
      if (!drawing) return;
      drawing = false;
      last = null;
      strokes += 1;
      if (canvas.hasPointerCapture && canvas.hasPointerCapture(event.pointerId)) {
        canvas.releasePointerCapture(event.pointerId);
      }
      input.value = canvas.toDataURL("image/png");
      say("signed");
    }

    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);

    if (clear) {
      clear.addEventListener("click", () => {
        context.clearRect(0, 0, canvas.width, canvas.height);
        input.value = "";
        strokes = 0;
        say("cleared");
        canvas.focus();
      });
    }

    const form = canvas.closest("form");
    if (form) {
      form.addEventListener("submit", () => {
        // The server refuses an empty signature and names the field; this
        // only tells a screen reader why before the page reloads.
        if (!strokes) say("empty");
      });
    }
    say("empty");
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const root of document.querySelectorAll("[data-signature-pad]")) setUp(root);
  });
})();
