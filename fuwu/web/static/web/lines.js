// Line items in generated forms (fuwu/web/dynforms.py, web/_lines.html): add, remove and move
// rows, computed columns and column totals as you type. The server computes and checks again on
// submit; this only shows what it will find. Inputs are named "<field>.<row>.<column>" with rows
// numbered 0.. in the order shown, renumbered after every change, so the posted order is the
// order on screen and the engine's cell errors ("parts.1.quantity") name the row the person sees.
(function () {
  "use strict";

  // -- decimal arithmetic on BigInt (money must not pick up binary fractions) ----------------
  var SCALE = 12;  // digits kept after the point by a division
  function dec(text) {
    var m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(String(text));
    if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) return null;
    var frac = m[3] || "";
    var n = BigInt((m[2] || "0") + frac);
    return { n: m[1] === "-" ? -n : n, s: frac.length };
  }
  function pow10(k) { return BigInt(10) ** BigInt(k); }
  function align(a, b) {
    var s = Math.max(a.s, b.s);
    return [a.n * pow10(s - a.s), b.n * pow10(s - b.s), s];
  }
  function add(a, b) { var x = align(a, b); return { n: x[0] + x[1], s: x[2] }; }
  function sub(a, b) { var x = align(a, b); return { n: x[0] - x[1], s: x[2] }; }
  function mul(a, b) { return { n: a.n * b.n, s: a.s + b.s }; }
  function div(a, b) {
    if (b.n === BigInt(0)) return null;
    var x = align(a, b);
    var q = (x[0] * pow10(SCALE + 1)) / x[1];  // one extra digit to round half away from zero
    var r = q < 0 ? -((-q + BigInt(5)) / BigInt(10)) : (q + BigInt(5)) / BigInt(10);
    return { n: r, s: SCALE };
  }
  function cmp(a, b) { var x = align(a, b); return x[0] < x[1] ? -1 : x[0] > x[1] ? 1 : 0; }
  function rounded(a, places) {  // half away from zero, as Decimal's ROUND_HALF_UP
    if (a.s <= places) return { n: a.n * pow10(places - a.s), s: places };
    var d = pow10(a.s - places), h = d / BigInt(2);
    var n = a.n < 0 ? -((-a.n + h) / d) : (a.n + h) / d;
    return { n: n, s: places };
  }
  function text(a, places) {
    var r = places === undefined ? a : rounded(a, places);
    var neg = r.n < 0, digits = (neg ? -r.n : r.n).toString();
    while (digits.length <= r.s) digits = "0" + digits;
    var whole = digits.slice(0, digits.length - r.s), frac = digits.slice(digits.length - r.s);
    if (places === undefined) frac = frac.replace(/0+$/, "");
    return (neg ? "-" : "") + whole + (frac ? "." + frac : "");
  }

  // -- a small CEL subset over one row: + - * / %, comparisons, && || !, ?:, parentheses -----
  // Anything else (a function call, a list) is not evaluated here: the cell shows "—" and the
  // server's value appears after saving.
  function tokens(src) {
    var out = [], re = /\s*(\d+(?:\.\d+)?|[A-Za-z_][\w.]*|"[^"]*"|'[^']*'|&&|\|\||[=!<>]=|[-+*/%()?:<>!])/y;
    var m;
    re.lastIndex = 0;
    while (re.lastIndex < src.length) {
      if (/^\s*$/.test(src.slice(re.lastIndex))) break;
      m = re.exec(src);
      if (!m) throw new Error("syntax");
      out.push(m[1]);
    }
    return out;
  }
  function compile(src) {
    var t = tokens(src), i = 0;
    function peek() { return t[i]; }
    function eat(x) { if (t[i] !== x) throw new Error("syntax"); i++; }
    function primary() {
      var tok = t[i++];
      if (tok === undefined) throw new Error("syntax");
      if (tok === "(") { var e = ternary(); eat(")"); return e; }
      if (tok === "-") { var u = primary(); return function (r) { var v = u(r); return v && v.n !== undefined ? { n: -v.n, s: v.s } : null; }; }
      if (tok === "!") { var nb = primary(); return function (r) { var v = nb(r); return typeof v === "boolean" ? !v : null; }; }
      if (/^\d/.test(tok)) { var c = dec(tok); return function () { return c; }; }
      if (/^["']/.test(tok)) { var s = tok.slice(1, -1); return function () { return s; }; }
      if (tok === "true" || tok === "false") { var b = tok === "true"; return function () { return b; }; }
      if (peek() === "(") throw new Error("call");  // functions: left to the server
      var name = tok.replace(/^row\./, "");
      return function (r) { return r(name); };
    }
    function level(next, ops, apply) {
      return function () {
        var left = next();
        while (ops.indexOf(peek()) >= 0) {
          var op = t[i++], right = next();
          left = (function (l, o, rt) { return function (r) { return apply(o, l(r), rt(r)); }; })(left, op, right);
        }
        return left;
      };
    }
    function arith(op, a, b) {
      if (!a || !b || a.n === undefined || b.n === undefined) return null;
      if (op === "+") return add(a, b);
      if (op === "-") return sub(a, b);
      if (op === "*") return mul(a, b);
      if (op === "/") return div(a, b);
      return null;  // % on decimals: the server's business
    }
    function compare(op, a, b) {
      if (a === null || b === null || a === undefined || b === undefined) return null;
      var c = a.n !== undefined && b.n !== undefined ? cmp(a, b) : a === b ? 0 : a < b ? -1 : 1;
      return { "==": c === 0, "!=": c !== 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0 }[op];
    }
    function logic(op, a, b) {
      if (typeof a !== "boolean" || typeof b !== "boolean") return null;
      return op === "&&" ? a && b : a || b;
    }
    var mult = level(primary, ["*", "/", "%"], arith);
    var sum = level(mult, ["+", "-"], arith);
    var rel = level(sum, ["<", "<=", ">", ">=", "==", "!="], compare);
    var and = level(rel, ["&&"], logic);
    var or = level(and, ["||"], logic);
    function ternary() {
      var c = or();
      if (peek() !== "?") return c;
      i++;
      var y = ternary(); eat(":"); var n = ternary();
      return function (r) { var v = c(r); return v === true ? y(r) : v === false ? n(r) : null; };
    }
    var root = ternary();
    if (i !== t.length) throw new Error("syntax");
    return root;
  }
  var compiled = {};
  function formula(src) {
    if (!(src in compiled)) {
      try { compiled[src] = compile(src); } catch (e) { compiled[src] = null; }
    }
    return compiled[src];
  }

  // -- the editor -------------------------------------------------------------------------
  function cellValue(cell) {
    var input = cell.querySelector("input, select, textarea");
    if (input) {
      var raw = input.value.trim();
      if (cell.dataset.kind === "number" || cell.dataset.kind === "money") return raw === "" ? null : dec(raw);
      if (cell.dataset.kind === "bool") return raw === "yes" ? true : raw === "no" ? false : null;
      return raw === "" ? null : raw;
    }
    var out = cell.querySelector("output");
    return out && out.dataset.value ? dec(out.dataset.value) : null;
  }
  function shown(value, kind) {
    if (value === null || value === undefined) return "—";
    if (value.n === undefined) return String(value);
    return kind === "money" ? text(value, 2) : text(rounded(value, 6));
  }
  function yuan(value) {  // as fuwu.web.values.money: "¥1,234.50"
    var parts = text(value, 2).split(".");
    var neg = parts[0].charAt(0) === "-", whole = neg ? parts[0].slice(1) : parts[0];
    return (neg ? "-" : "") + "¥" + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + parts[1];
  }
  function recompute(editor) {
    var rows = editor.querySelectorAll("tbody > tr.lines-row");
    var totals = {};
    rows.forEach(function (row) {
      var cells = {};
      row.querySelectorAll("td[data-col]").forEach(function (c) { cells[c.dataset.col] = c; });
      function read(name) { return cells[name] ? cellValue(cells[name]) : null; }
      Object.keys(cells).forEach(function (col) {
        var cell = cells[col], src = cell.dataset.compute;
        if (!src) return;
        var f = formula(src), out = cell.querySelector("output");
        if (!f) return;  // not evaluated here: keep the server's value
        var value = f(read);
        if (value && value.n !== undefined && cell.dataset.kind === "money") value = rounded(value, 2);
        out.dataset.value = value && value.n !== undefined ? text(value) : "";
        out.textContent = shown(value, cell.dataset.kind);
      });
      editor.querySelectorAll("tfoot [data-total]").forEach(function (t) {
        var v = read(t.dataset.total);
        if (!totals[t.dataset.total]) totals[t.dataset.total] = { n: BigInt(0), s: 0 };
        if (v && v.n !== undefined) totals[t.dataset.total] = add(totals[t.dataset.total], v);
      });
    });
    editor.querySelectorAll("tfoot [data-total]").forEach(function (t) {
      var sum = totals[t.dataset.total] || { n: BigInt(0), s: 0 };
      t.textContent = t.dataset.kind === "money" ? yuan(sum) : shown(sum, t.dataset.kind);
    });
    var count = editor.querySelector("[data-row-count]");
    if (count) count.textContent = (editor.dataset.countText || "{n}").replace("{n}", rows.length);
  }
  function label(editor, what, n) {
    return (editor.dataset["label" + what] || "").replace("{n}", n);
  }
  function renumber(editor) {
    var base = editor.dataset.lines;
    var rows = editor.querySelectorAll("tbody > tr.lines-row");
    rows.forEach(function (row, i) {
      row.querySelectorAll("[data-col-input]").forEach(function (input) {
        var col = input.dataset.colInput;
        input.name = base + "." + i + "." + col;
        input.id = "id_" + base + "_" + i + "_" + col;
      });
      row.querySelectorAll("label[data-for-col]").forEach(function (l) {
        l.htmlFor = "id_" + base + "_" + i + "_" + l.dataset.forCol;
      });
      var no = row.querySelector(".row-no");
      if (no) no.textContent = i + 1;
      row.dataset.row = i;
      var up = row.querySelector("[data-act=up]"), down = row.querySelector("[data-act=down]");
      var del = row.querySelector("[data-act=remove]");
      if (up) { up.disabled = i === 0; up.setAttribute("aria-label", label(editor, "Up", i + 1)); up.title = up.getAttribute("aria-label"); }
      if (down) { down.disabled = i === rows.length - 1; down.setAttribute("aria-label", label(editor, "Down", i + 1)); down.title = down.getAttribute("aria-label"); }
      if (del) { del.setAttribute("aria-label", label(editor, "Remove", i + 1)); del.title = del.getAttribute("aria-label"); }
    });
    var max = Number(editor.dataset.maxRows || 0);
    var addButton = editor.querySelector("[data-act=add]");
    if (addButton) addButton.disabled = max > 0 && rows.length >= max;
    recompute(editor);
  }
  function say(editor, message) {
    var live = editor.querySelector("[data-live]");
    if (live) live.textContent = message;
  }
  function touched(editor) {  // rows moved or removed: the server's cell errors no longer apply
    editor.querySelectorAll(".server-error").forEach(function (n) { n.remove(); });
    editor.querySelectorAll(".is-invalid").forEach(function (n) { n.classList.remove("is-invalid"); });
    var box = editor.closest(".dynfield");
    if (box) box.classList.remove("has-error");
  }
  function act(button) {
    var editor = button.closest("[data-lines]");
    var body = editor.querySelector("tbody");
    var row = button.closest("tr.lines-row");
    var what = button.dataset.act;
    if (what === "add") {
      var tpl = editor.querySelector("template[data-row-template]");
      var fresh = tpl.content.firstElementChild.cloneNode(true);
      body.appendChild(fresh);
      renumber(editor);
      var first = fresh.querySelector("input, select, textarea");
      if (first) first.focus();
      say(editor, label(editor, "Added", body.children.length));
      return;
    }
    if (!row) return;
    var index = Array.prototype.indexOf.call(body.children, row);
    if (what === "remove") {
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      touched(editor);
      renumber(editor);
      var focus = next ? next.querySelector("[data-act=remove]") : editor.querySelector("[data-act=add]");
      if (focus) focus.focus();
      say(editor, label(editor, "Removed", index + 1));
    } else if (what === "up" && row.previousElementSibling) {
      body.insertBefore(row, row.previousElementSibling);
      touched(editor);
      renumber(editor);
      (row.querySelector("[data-act=up]:not(:disabled)") || row.querySelector("[data-act=down]")).focus();
      say(editor, label(editor, "Moved", index));
    } else if (what === "down" && row.nextElementSibling) {
      body.insertBefore(row.nextElementSibling, row);
      touched(editor);
      renumber(editor);
      (row.querySelector("[data-act=down]:not(:disabled)") || row.querySelector("[data-act=up]")).focus();
      say(editor, label(editor, "Moved", index + 2));
    }
  }
  function setUp(root) {
    root = root || document;
    var editors = Array.prototype.slice.call(root.querySelectorAll("[data-lines]"));
    if (root.matches && root.matches("[data-lines]")) editors.push(root);
    editors.forEach(function (editor) {
      editor.classList.add("lines-live");
      renumber(editor);
    });
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-lines] button[data-act]");
    if (!button) return;
    e.preventDefault();
    act(button);
  });
  function settle(editor) {  // a row, then the table, no longer marked once its errors are gone
    editor.querySelectorAll("tr.lines-row.has-error").forEach(function (row) {
      if (!row.querySelector(".server-error, .is-invalid")) row.classList.remove("has-error");
    });
    if (!editor.querySelector(".server-error")) {
      var box = editor.closest(".dynfield");
      if (box) {
        box.classList.remove("has-error");
        box.querySelectorAll(":scope > .server-error").forEach(function (n) { n.remove(); });
      }
    }
  }
  // Enter in a cell does not send the whole form (the step's first move): it goes to the same
  // column of the next row, adding a row after the last one.
  document.addEventListener("keydown", function (e) {
    var input = e.target;
    if (e.key !== "Enter" || !input.matches || !input.matches("[data-lines] input[data-col-input]")) return;
    e.preventDefault();
    var row = input.closest("tr.lines-row"), editor = input.closest("[data-lines]");
    var next = row.nextElementSibling;
    if (!next) {
      var add = editor.querySelector("[data-act=add]");
      if (!add || add.disabled) return;
      act(add);
      next = row.nextElementSibling;
    }
    var same = next && next.querySelector("[data-col-input='" + input.dataset.colInput + "']");
    if (same) same.focus();
  });
  document.addEventListener("input", function (e) {
    var editor = e.target.closest && e.target.closest("[data-lines]");
    if (editor) { recompute(editor); settle(editor); }
  });
  document.addEventListener("change", function (e) {
    var editor = e.target.closest && e.target.closest("[data-lines]");
    if (editor) recompute(editor);
  });
  document.addEventListener("DOMContentLoaded", function () { setUp(); });
  // Every piece of content htmx puts in, out-of-band swaps too (the intake's first-step fields).
  document.addEventListener("htmx:load", function (e) { setUp(e.target); });
  // For the browser tests: the same arithmetic the editor uses.
  window.fuwuLines = {
    setUp: setUp,
    compile: formula,
    dec: dec,
    text: text,
  };
})();
