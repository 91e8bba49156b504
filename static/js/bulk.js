// The operations list: a checkbox in the table's head ticks or unticks every row of
// the page. Without this script it stays hidden and each row is ticked by hand.
(() => {
  const rows = () => [...document.querySelectorAll('#results input[name="ids"]')];
  const sync = () => {
    const all = document.querySelector(".select-page");
    if (!all) return;
    const ticked = rows().filter((box) => box.checked).length;
    all.checked = ticked > 0 && ticked === rows().length;
    all.indeterminate = ticked > 0 && ticked < rows().length;
  };
  const reveal = () => {
    const all = document.querySelector(".select-page");
    if (all) all.hidden = false;
    sync();
  };
  document.addEventListener("change", (event) => {
    if (event.target.classList.contains("select-page")) {
      rows().forEach((box) => { box.checked = event.target.checked; });
    } else if (event.target.name === "ids") {
      sync();
    }
  });
  document.addEventListener("DOMContentLoaded", reveal);
  // the table comes back from the server when a filter changes (htmx)
  document.addEventListener("htmx:afterSettle", reveal);
})();
