// The people picker (opsmaturity/lib/widgets.py PeoplePicker): a list of checkboxes that
// works as it is. This adds a search box that filters the list by name, and the chosen
// people as chips, each with a button that removes that one person. Nothing is sent
// but the checkboxes, so a form posts the same with or without this script.
(() => {
  // Compared as typed on any keyboard: full-width letters and half-width kana alike.
  const fold = (text) => text.normalize("NFKC").toLocaleLowerCase();
  const fill = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_match, key) => String(values[key] ?? ""));

  function setUp(picker) {
    if (picker.dataset.ready) return;
    picker.dataset.ready = "true";
    const chosen = picker.querySelector("[data-picker-chosen]");
    const chips = picker.querySelector("[data-picker-chips]");
    const none = picker.querySelector("[data-picker-none]");
    const search = picker.querySelector("[data-picker-search]");
    const input = search.querySelector("input");
    const shown = picker.querySelector("[data-picker-shown]");
    const nobody = picker.querySelector("[data-picker-nobody]");
    const status = picker.querySelector("[data-picker-status]");
    const rows = Array.from(picker.querySelectorAll("[data-picker-options] li"));
    const boxes = rows.map((row) => row.querySelector("input[type=checkbox]"));
    const nameOf = (box) => box.closest("label").textContent.trim();

    const say = (template, name) => {
      // Emptied first, so the same words twice are read twice.
      status.textContent = "";
      window.setTimeout(() => { status.textContent = fill(template, { name }); }, 50);
    };

    function drawChips() {
      chips.replaceChildren();
      for (const box of boxes.filter((b) => b.checked)) {
        const name = nameOf(box);
        const item = document.createElement("li");
        item.className = "picker-chip";
        const text = document.createElement("span");
        text.textContent = name;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "picker-remove";
        remove.setAttribute("aria-label", fill(picker.dataset.remove, { name }));
        remove.textContent = "×";
        remove.addEventListener("click", () => {
          const place = Array.from(chips.children).indexOf(item);
          box.checked = false;
          box.dispatchEvent(new Event("change", { bubbles: true }));
          // Keep the keyboard near where it was: the next chip, else the search box.
          const left = chips.children;
          const next = left[Math.min(place, left.length - 1)];
          (next ? next.querySelector("button") : input).focus();
        });
        item.append(text, remove);
        chips.append(item);
      }
      none.hidden = chips.children.length > 0;
    }

    function filter() {
      const wanted = fold(input.value.trim());
      let count = 0;
      for (const row of rows) {
        const match = !wanted || fold(row.dataset.name).includes(wanted);
        row.hidden = !match;
        count += match ? 1 : 0;
      }
      nobody.hidden = count > 0;
      shown.textContent = wanted
        ? fill(picker.dataset.shown, { shown: count, total: rows.length })
        : "";
      return count;
    }

    for (const box of boxes) {
      box.addEventListener("change", () => {
        drawChips();
        say(box.checked ? picker.dataset.added : picker.dataset.removed, nameOf(box));
      });
    }
    input.addEventListener("input", filter);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        // Enter picks the one person found; it never submits the form from here.
        event.preventDefault();
        const visible = rows.filter((row) => !row.hidden);
        if (visible.length === 1) {
          const box = visible[0].querySelector("input");
          box.checked = !box.checked;
          box.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        filter();
      }
    });
    chosen.hidden = false;
    search.hidden = false;
    picker.classList.add("enhanced");
    drawChips();
  }

  const setUpAll = (root) => {
    for (const picker of (root || document).querySelectorAll("[data-people-picker]")) {
      setUp(picker);
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => setUpAll());
  } else {
    setUpAll();
  }
  document.addEventListener("htmx:load", (event) => setUpAll(event.target));
})();
