// rerun-git report: sorting, filtering, axis brushing and run selection on the index; the compare table.
// A static file of the rerun-git package: never built from run data. Data comes from the page's
// <script type="application/json"> block and is only ever inserted as text (textContent), never as HTML.
(function () {
  "use strict";

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // ------------------------------------------------------------ index
  function setUpIndex(table, data) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var filter = document.getElementById("filter");
    var shown = document.getElementById("shown");
    var compare = document.getElementById("compare");
    var clear = document.getElementById("clear-brush");
    var brushes = {};  // axis index -> [y0, y1]
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });

    function visible(i) {
      var terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (var t = 0; t < terms.length; t++) { if (texts[i].indexOf(terms[t]) < 0) { return false; } }
      for (var axis in brushes) {
        var y = data.pc[i][axis], range = brushes[axis];
        if (y === null || y < range[0] || y > range[1]) { return false; }
      }
      return true;
    }

    function refresh() {
      var count = 0;
      rows.forEach(function (row) {
        var i = Number(row.getAttribute("data-i")), keep = visible(i);
        row.hidden = !keep;
        if (keep) { count++; }
        var line = document.querySelector('.pc-line[data-run="' + i + '"]');
        if (line) { line.classList.toggle("dim", !keep); }
      });
      shown.textContent = count + " of " + rows.length + " runs shown";
      clear.hidden = Object.keys(brushes).length === 0;
    }

    function sortBy(header, column) {
      var kind = header.querySelector("button").getAttribute("data-kind");
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.setAttribute("aria-sort", "none"); });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      function key(row) {
        var cell = row.cells[column], v = cell.getAttribute("data-v");
        if (v !== null && v !== "") { return Number(v); }
        return kind === "num" ? null : cell.textContent.toLowerCase();
      }
      var sorted = rows.slice().sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === y) { return 0; }
        if (x === null) { return 1; }  // missing values last, either way
        if (y === null) { return -1; }
        var order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      sorted.forEach(function (row) { body.appendChild(row); });
    }

    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
      var button = header.querySelector("button.sort");
      if (button) { button.addEventListener("click", function () { sortBy(header, column); }); }
    });
    filter.addEventListener("input", refresh);

    function picked() {
      return Array.prototype.filter.call(table.querySelectorAll("input.pick"), function (box) { return box.checked; })
        .map(function (box) { return box.value; });
    }
    table.addEventListener("change", function () {
      var n = picked().length;
      compare.disabled = n < 2;
      compare.textContent = "Compare selected" + (n ? " (" + n + ")" : "");
    });
    compare.addEventListener("click", function () { window.location.href = "compare.html#" + picked().join(","); });

    setUpBrushes(function (axis, range) {
      if (range) { brushes[axis] = range; } else { delete brushes[axis]; }
      refresh();
    });
    clear.addEventListener("click", function () {
      brushes = {};
      Array.prototype.forEach.call(document.querySelectorAll(".pc-brush"), function (b) { b.setAttribute("height", "0"); });
      refresh();
    });
    refresh();
  }

  // Drag along an axis to choose a range; a click without a drag clears it. Arrow keys move a 40px window.
  function setUpBrushes(onChange) {
    Array.prototype.forEach.call(document.querySelectorAll(".pc-axis"), function (axis) {
      var index = axis.getAttribute("data-axis");
      var hit = axis.querySelector(".pc-hit"), brush = axis.querySelector(".pc-brush");
      var top = Number(hit.getAttribute("y")), bottom = top + Number(hit.getAttribute("height"));
      var svg = axis.ownerSVGElement, start = null;

      function yOf(event) {
        var box = svg.getBoundingClientRect(), scale = svg.viewBox.baseVal.height / box.height;
        return Math.min(bottom, Math.max(top, (event.clientY - box.top) * scale));
      }
      function clear() {
        brush.setAttribute("height", "0");
        onChange(index, null);
      }
      function show(a, b) {
        var y0 = Math.min(a, b), y1 = Math.max(a, b);
        if (y1 - y0 < 2) { clear(); return; }  // a click, not a drag
        if (y0 - top < 4) { y0 = top; }  // near an end: the end (its runs sit right on it)
        if (bottom - y1 < 4) { y1 = bottom; }
        brush.setAttribute("y", String(y0));
        brush.setAttribute("height", String(y1 - y0));
        onChange(index, [y0, y1]);
      }
      axis.addEventListener("pointerdown", function (event) {
        start = yOf(event);
        axis.setPointerCapture(event.pointerId);
        event.preventDefault();
      });
      axis.addEventListener("pointermove", function (event) { if (start !== null) { show(start, yOf(event)); } });
      axis.addEventListener("pointerup", function (event) { if (start !== null) { show(start, yOf(event)); start = null; } });
      axis.addEventListener("keydown", function (event) {
        var y = Number(brush.getAttribute("height")) > 0 ? Number(brush.getAttribute("y")) : top - 10;
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          y = Math.min(bottom - 40, Math.max(top, y + (event.key === "ArrowDown" ? 10 : -10)));
          show(y, y + 40);
          event.preventDefault();
        } else if (event.key === "Escape") {
          clear();
        }
      });
    });
  }

  // ------------------------------------------------------------ compare
  function setUpCompare(runs) {
    var byCommit = {};
    runs.forEach(function (run) { byCommit[run.commit] = run; });
    var chosen = window.location.hash.slice(1).split(",").map(function (c) { return byCommit[c]; }).filter(Boolean);
    if (chosen.length < 1) { return; }
    document.getElementById("compare-help").hidden = true;
    var table = document.getElementById("compare-table");
    table.hidden = false;
    var same = document.getElementById("show-same");
    same.addEventListener("change", function () { table.classList.toggle("all", same.checked); });

    function cell(tag, text, cls) {
      var node = document.createElement(tag);
      node.textContent = text;
      if (cls) { node.className = cls; }
      return node;
    }
    function format(value) {
      if (value === null || value === undefined) { return ""; }
      return typeof value === "number" ? Number(value.toPrecision(4)).toString() : String(value);
    }
    function addRow(label, values, best, exact) {
      var row = body.insertRow();
      row.appendChild(cell("th", label));
      values.forEach(function (v, i) {
        row.appendChild(cell("td", exact && v !== null ? String(v) : format(v), i === best ? "best" : ""));
      });
      return row;
    }
    var head = table.createTHead().insertRow(), body = table.createTBody();
    head.appendChild(cell("th", "run"));
    chosen.forEach(function (run) {
      var th = document.createElement("th"), link = document.createElement("a");
      link.href = "runs/" + run.commit + ".html";
      link.textContent = run.name;
      th.appendChild(link);
      head.appendChild(th);
    });
    ["date", "author", "message", "dirty", "source"].forEach(function (key) {
      addRow(key, chosen.map(function (run) { return key === "dirty" ? (run.dirty ? "yes" : "no") : run[key]; }), -1);
    });
    var pairs = [];
    chosen.forEach(function (run) {
      Object.keys(run.algorithm_metrics).forEach(function (algorithm) {
        Object.keys(run.algorithm_metrics[algorithm]).forEach(function (metric) {
          var key = algorithm + "\u0000" + metric;
          if (pairs.indexOf(key) < 0) { pairs.push(key); }
        });
      });
    });
    pairs.forEach(function (key) {
      var parts = key.split("\u0000"), values = chosen.map(function (run) {
        var m = run.algorithm_metrics[parts[0]];
        return m && typeof m[parts[1]] === "number" ? m[parts[1]] : null;
      });
      var greater = chosen.map(function (run) { return run.greater_is_better[parts[1].split(":").pop()]; })
        .filter(function (g) { return typeof g === "boolean"; })[0];
      var best = -1, known = values.filter(function (v) { return v !== null; });
      if (known.every(function (v) { return v === known[0]; })) { greater = undefined; }  // a tie: nobody is best
      values.forEach(function (v, i) {
        if (v === null || greater === undefined) { return; }
        if (best < 0 || (greater ? v > values[best] : v < values[best])) { best = i; }
      });
      addRow(parts[0] + " " + parts[1], values, best).className = "metric";
    });
    var keys = [];
    chosen.forEach(function (run) { Object.keys(run.params).forEach(function (k) { if (keys.indexOf(k) < 0) { keys.push(k); } }); });
    keys.forEach(function (key) {
      var values = chosen.map(function (run) { return key in run.params ? run.params[key] : null; });
      var differs = values.some(function (v) { return JSON.stringify(v) !== JSON.stringify(values[0]); });
      var row = addRow(key, values, -1, true);
      row.className = differs ? "param differs" : "param same";
    });
  }

  var index = document.getElementById("runs");
  if (index) { setUpIndex(index, readData("report-data")); }
  var runs = readData("compare-data");
  if (runs) {
    setUpCompare(runs);
    window.addEventListener("hashchange", function () { window.location.reload(); });
  }
})();
