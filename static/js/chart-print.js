// The printable session record: a button that opens the browser's print
// dialog (the page prints as well from the browser's own menu).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
