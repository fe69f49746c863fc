/* Every page of the web view: sort a table by any column (its header is a button; aria-sort says
   the order), filter a table marked data-filter by name as you type, and print. Without this
   script every table is whole and in the server's order; it only hides and reorders rows. Served
   from /web/static (the pages' CSP allows 'self' scripts, nothing inline). */
(function () {
  "use strict";

  var main = document.querySelector("main");
  if (!main) { return; }

  function plain(text) {  // "Đỗ Văn Hải" → "do van hai": typed with or without accents, both match
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "d")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  function sortKey(cell) {
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    raw = raw.replace(/\s+/g, " ").trim();
    var number = raw !== "" && /^-?[0-9]+([.,][0-9]+)?$/.test(raw) ? Number(raw.replace(",", ".")) : NaN;
    return isNaN(number) ? { text: raw } : { number: number };
  }

  var collator = new Intl.Collator(document.documentElement.lang || "vi", { numeric: true, sensitivity: "base" });

  function compare(a, b) {
    if (a.number !== undefined && b.number !== undefined) { return a.number - b.number; }
    if (a.number !== undefined) { return -1; }  // numbers before words ("Chưa"), whichever the order
    if (b.number !== undefined) { return 1; }
    if (a.text === "" || b.text === "") { return (a.text === "") - (b.text === ""); }  // empty last
    return collator.compare(a.text, b.text);
  }

  function dataRows(table) {
    var body = table.tBodies[0];
    if (!body) { return []; }
    return Array.prototype.filter.call(body.rows, function (row) {
      return row.cells.length === table.tHead.rows[0].cells.length;  // not the one "nothing here" row
    });
  }

  function makeSortable(table) {
    var headers = table.tHead.rows[0].cells;
    table.classList.add("sortable");  // on phones a card table's header shows again, as a row of sort buttons
    Array.prototype.forEach.call(headers, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = dataRows(table).map(function (row, index) {
          return { row: row, key: sortKey(row.cells[column]), index: index };
        });
        rows.sort(function (a, b) {
          var order = compare(a.key, b.key);
          return (ascending ? order : -order) || a.index - b.index;  // stable: ties keep their order
        });
        var body = table.tBodies[0];
        rows.forEach(function (item) { body.appendChild(item.row); });
      });
    });
  }

  function makeFilter(table) {
    var rows = dataRows(table);
    var label = document.createElement("label");
    var input = document.createElement("input");
    var shown = document.createElement("output");
    input.type = "search";
    input.autocomplete = "off";
    label.textContent = main.getAttribute("data-filter-label");
    label.appendChild(input);
    shown.setAttribute("aria-live", "polite");
    var box = document.createElement("p");
    box.className = "tabletools";
    box.appendChild(label);
    box.appendChild(shown);
    var anchor = table.parentElement.classList.contains("scroll") ? table.parentElement : table;
    anchor.parentElement.insertBefore(box, anchor);
    input.addEventListener("input", function () {
      var wanted = plain(input.value);
      var count = 0;
      rows.forEach(function (row) {
        var match = plain(row.cells[0].textContent).indexOf(wanted) !== -1;
        row.hidden = !match;
        count += match ? 1 : 0;
      });
      shown.textContent = wanted ? main.getAttribute("data-shown").replace("{shown}", count)
        .replace("{total}", rows.length) : "";
    });
  }

  Array.prototype.forEach.call(main.querySelectorAll("table"), function (table) {
    if (!table.tHead || !table.tHead.rows.length || dataRows(table).length < 2) { return; }
    makeSortable(table);
    if (table.hasAttribute("data-filter")) { makeFilter(table); }
  });

  // Printing: every meeting opened first (a closed <details> prints only its title); the print
  // button where there is a script; the print view a PDF link falls back to (?print=1) prints at once.
  function openAll() {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  }
  window.addEventListener("beforeprint", openAll);
  var print = document.querySelector(".printbar button.print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { openAll(); window.print(); });
  }
  if (/[?&]print=1(&|$)/.test(window.location.search)) {
    openAll();
    window.print();
  }
}());
