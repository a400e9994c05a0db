/* argmap report: sortable tables, a zoom toggle for the figures, every <details> open in print.
   Inline and self-contained; the page's Content-Security-Policy admits this script by its hash. */
(function () {
  "use strict";

  function key(cell) {
    var raw = cell ? cell.getAttribute("data-sort") : "";
    if (raw === null) raw = cell.textContent.replace(/\s+/g, " ").trim();
    if (raw === "") return { empty: true };
    var n = Number(raw);
    return isNaN(n) ? { s: raw.toLowerCase() } : { n: n };
  }

  function compare(a, b) {
    if ("n" in a && "n" in b) return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
    if ("n" in a) return -1;
    if ("n" in b) return 1;
    return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  }

  function sortTable(table, column, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, index) {
      return { row: row, key: key(row.cells[column]), index: index };
    });
    rows.sort(function (a, b) {
      if (a.key.empty || b.key.empty) return (a.key.empty ? 1 : 0) - (b.key.empty ? 1 : 0) || a.index - b.index;
      var c = compare(a.key, b.key);
      return (descending ? -c : c) || a.index - b.index;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, k) {
      if (k === column) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    var select = document.createElement("select");
    select.appendChild(new Option("as listed", ""));
    Array.prototype.forEach.call(heads, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        sortTable(table, column, th.getAttribute("aria-sort") === "ascending");
      });
      var name = button.textContent.replace(/\s+/g, " ").trim();
      select.appendChild(new Option(name + " ↑", column + ":a"));
      select.appendChild(new Option(name + " ↓", column + ":d"));
    });
    // on a phone the header row is hidden (rows become cards): sort from a menu instead
    var label = document.createElement("label");
    label.className = "sort-select";
    label.appendChild(document.createTextNode("Sort by "));
    label.appendChild(select);
    table.parentNode.insertBefore(label, table);
    var original = Array.prototype.slice.call(table.tBodies[0].rows);
    select.addEventListener("change", function () {
      if (!select.value) {
        original.forEach(function (row) { table.tBodies[0].appendChild(row); });
        return;
      }
      var parts = select.value.split(":");
      sortTable(table, Number(parts[0]), parts[1] === "d");
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.zoom"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var figure = button.closest("figure");
      var natural = figure.classList.toggle("natural");
      button.setAttribute("aria-pressed", natural ? "true" : "false");
      button.textContent = natural ? "Fit to width" : "Actual size";
    });
  });

  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
  });
})();
