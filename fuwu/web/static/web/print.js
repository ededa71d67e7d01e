// The print view's button (no inline handlers under the Content-Security-Policy).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
