// The waiting room's screen: refresh the numbers from state.json every few
// seconds. Numbers and rooms only. Without this file the page reloads
// itself (<noscript> meta refresh), so nothing depends on it.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.querySelector("[data-queue-state]");
  if (!root) return;
  const url = root.dataset.queueState;
  const seconds = Math.max(2, Number(root.dataset.refreshSeconds) || 5);
  const serving = root.querySelector("[data-serving]");
  const waiting = root.querySelector("[data-waiting]");
  const servingEmpty = root.querySelector("[data-serving-empty]");
  const waitingEmpty = root.querySelector("[data-waiting-empty]");
  let last = "";

  const item = (...parts) => {
    const li = document.createElement("li");
    parts.forEach(([cls, text], i) => {
      if (i) li.append(" ");
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text; // text, never HTML
      li.append(span);
    });
    return li;
  };

  const show = (state) => {
    serving.replaceChildren(
      ...state.serving.map((t) => item(["queue-number", String(t.number)], ["queue-room", t.room])),
    );
    waiting.replaceChildren(
      ...state.waiting.map((n) => {
        const li = document.createElement("li");
        li.textContent = String(n);
        return li;
      }),
    );
    servingEmpty.hidden = state.serving.length > 0;
    waitingEmpty.hidden = state.waiting.length > 0;
  };

  const refresh = async () => {
    try {
      const response = await fetch(url, { cache: "no-store", credentials: "omit" });
      if (!response.ok) return;
      const text = await response.text();
      if (text === last) return;
      last = text;
      show(JSON.parse(text));
    } catch {
      // Offline for a moment: keep showing the last numbers and try again.
    }
  };

  setInterval(refresh, seconds * 1000);
  // A new day, a lost connection for hours: start afresh now and then.
  setTimeout(() => window.location.reload(), 30 * 60 * 1000);
});
