// Drill-down tables: sort (click a header), search (filters rows by their text), pages of PAGE rows.
(function () {
  "use strict";
  var PAGE = 20;
  function cellKey(row, col) {
    var cell = row.cells[col];
    var text = cell ? (cell.firstChild && cell.firstChild.textContent !== undefined ? cell.textContent : "") : "";
    text = text.trim();
    var num = parseFloat(text);
    return isNaN(num) || String(num).length < text.split(" ")[0].length - 2 ? text.toLowerCase() : num;
  }
  function setup(table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var state = { page: 0, query: "", shown: rows };
    var bar = document.createElement("div");
    bar.className = "dt-bar";
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "Search…";
    search.className = "dt-search";
    var prev = document.createElement("button");
    prev.type = "button";
    prev.textContent = "‹ Previous";
    prev.className = "dt-prev";
    var next = document.createElement("button");
    next.type = "button";
    next.textContent = "Next ›";
    next.className = "dt-next";
    var info = document.createElement("span");
    info.className = "dt-info";
    bar.appendChild(search); bar.appendChild(prev); bar.appendChild(info); bar.appendChild(next);
    table.parentNode.insertBefore(bar, table);
    function render() {
      var pages = Math.max(1, Math.ceil(state.shown.length / PAGE));
      state.page = Math.min(state.page, pages - 1);
      rows.forEach(function (r) { r.style.display = "none"; });
      state.shown.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (r) {
        r.style.display = "";
      });
      info.textContent = state.shown.length ? ("rows " + (state.page * PAGE + 1) + "–" +
        Math.min(state.shown.length, (state.page + 1) * PAGE) + " of " + state.shown.length) : "no matching row";
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
    }
    search.addEventListener("input", function () {
      var q = search.value.toLowerCase();
      state.shown = rows.filter(function (r) { return r.textContent.toLowerCase().indexOf(q) >= 0; });
      state.page = 0;
      render();
    });
    prev.addEventListener("click", function () { state.page -= 1; render(); });
    next.addEventListener("click", function () { state.page += 1; render(); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.classList.add("sortable");
      th.addEventListener("click", function () {
        var dir = th.getAttribute("data-dir") === "asc" ? -1 : 1;
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("data-dir"); });
        th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
        rows.sort(function (a, b) {
          var x = cellKey(a, col), y = cellKey(b, col);
          return (x < y ? -1 : x > y ? 1 : 0) * dir;
        });
        rows.forEach(function (r) { body.appendChild(r); });
        var shown = new Set(state.shown);
        state.shown = rows.filter(function (r) { return shown.has(r); });
        render();
      });
    });
    render();
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.dt"), setup);
  // "show trajectory" buttons open the trajectory and its neighbour below the row's text.
  document.addEventListener("click", function (event) {
    var button = event.target;
    if (!button.classList || !button.classList.contains("show-traj")) { return; }
    var pair = button.nextElementSibling;
    pair.hidden = !pair.hidden;
    button.setAttribute("aria-expanded", String(!pair.hidden));
  });
})();
