// hyperlab dashboard: plain JavaScript, no build step. Every value from the API is put into
// the page as text (textContent), never as HTML, so names, tags and notes cannot inject markup.
"use strict";

const TOKEN = document.querySelector('meta[name="hyperlab-token"]').content;
const PAGE_SIZE = 50;
const REFRESH_MS = 5000;
const state = { selected: new Set(), hidden: new Set(), timer: null, metricOrder: [] };
const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

async function post(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json", "X-Hyperlab-Token": TOKEN }, body: JSON.stringify(data) });
}

function fmt(value, column) {
  if (value === null || value === undefined) return "";
  if (column && ["created", "started", "ended", "last_activity"].includes(column) && typeof value === "number")
    return new Date(value * 1000).toISOString().replace("T", " ").slice(0, 16);
  if (column === "duration" && typeof value === "number") return value < 60 ? value.toFixed(1) + "s" : (value / 60).toFixed(1) + "m";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (Array.isArray(value) && column === "tags") return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function badge(text) { return h("span", { class: "badge state-" + text }, text); }
function tagBadges(tags) { return (tags || []).map((t) => h("span", { class: "badge tag" }, t)); }
function short(column) { return column.replace(/^(params|metrics|meta)\./, ""); }
function view() { return document.getElementById("view"); }
function show(...nodes) { view().replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined)); }
function stopTimer() { if (state.timer) { clearInterval(state.timer); state.timer = null; } }

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), args: new URLSearchParams(query || "") };
}

async function route() {
  stopTimer();
  const { parts, args } = parseHash();
  for (const a of document.querySelectorAll("header nav a")) a.classList.remove("active");
  try {
    if (parts[0] === "runs") { document.getElementById("nav-runs").classList.add("active"); await runsView(args); }
    else if (parts[0] === "run") await runView(parts[1]);
    else if (parts[0] === "study") await studyView(parts[1]);
    else if (parts[0] === "queue") { document.getElementById("nav-queue").classList.add("active"); await queueView(); }
    else { document.getElementById("nav-studies").classList.add("active"); await studiesView(); }
  } catch (err) {
    show(h("p", { class: "error", id: "page-error" }, String(err.message || err)));
  }
}

// -- studies ---------------------------------------------------------------------------------
async function studiesView() {
  const data = await api("/api/studies");
  const rows = data.studies.map((s) => {
    const label = s.version ? s.study + "@" + s.version : s.study;
    const states = Object.entries(s.by_state).map(([k, n]) => h("span", {}, badge(k), String(n), " "));
    return h("tr", {},
      h("td", {}, h("a", { class: "study-link", href: "#/study/" + encodeURIComponent(label) }, label)),
      h("td", {}, s.description || ""),
      h("td", {}, h("a", { href: "#/runs?study=" + encodeURIComponent(label) }, String(s.runs))),
      h("td", {}, states),
      h("td", {}, s.metric ? s.metric + " = " + fmt(s.best) : ""),
      h("td", {}, fmt(s.last_activity, "last_activity")));
  });
  show(h("h2", {}, "Studies"),
    h("table", { id: "studies-table" },
      h("thead", {}, h("tr", {}, ["study", "description", "runs", "by state", "best", "last activity"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows)));
}

// -- runs table + curves ---------------------------------------------------------------------
async function runsView(args) {
  const q = args.get("q") || "";
  const study = args.get("study") || "";
  const sort = args.get("sort") || "";
  const offset = parseInt(args.get("offset") || "0", 10);
  const params = new URLSearchParams({ limit: PAGE_SIZE, offset });
  if (q) params.set("q", q);
  if (study) params.set("study", study);
  if (sort) params.set("sort", sort);
  const input = h("input", { id: "query", type: "text", value: q, placeholder: 'lr < 0.01 and optim.name in ["adam", "sgd"]' });
  const go = (changes) => {
    const next = new URLSearchParams(args);
    for (const [k, v] of Object.entries(changes)) { if (v === "" || v === null) next.delete(k); else next.set(k, v); }
    location.hash = "#/runs?" + next.toString();
  };
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") go({ q: input.value, offset: "" }); });
  const errorBox = h("div", { id: "query-error", class: "error" });
  const toolbar = h("div", { class: "toolbar" }, input,
    h("button", { id: "query-run", onclick: () => go({ q: input.value, offset: "" }) }, "Filter"),
    study ? h("span", {}, "study: ", h("b", {}, study), " ", h("a", { href: "#/runs" }, "(all)")) : null);
  let data;
  try { data = await api("/api/runs?" + params.toString()); }
  catch (err) { show(h("h2", {}, "Runs"), toolbar, errorBox); errorBox.textContent = err.message; return; }
  const columns = data.columns.filter((c) => !state.hidden.has(c));
  const sortKeys = (data.sort || "").split(",");
  const header = h("tr", {}, h("th", {}, ""), columns.map((c) => {
    const key = c === "ref" ? "number" : c === "run_id" ? "id" : short(c);
    const cls = sortKeys[0] === key ? "sorted-asc" : sortKeys[0] === "-" + key ? "sorted-desc" : "";
    const next = sortKeys[0] === "-" + key ? key : "-" + key;
    return h("th", { class: cls + (data.varying.includes(c) ? " varying" : ""), dataset: { col: c }, onclick: () => go({ sort: next, offset: "" }) }, short(c));
  }));
  const body = h("tbody", {}, data.rows.map((row) => {
    const box = h("input", { type: "checkbox", class: "select-run", checked: state.selected.has(row.run_id) });
    const tr = h("tr", { dataset: { runId: row.run_id }, class: state.selected.has(row.run_id) ? "selected" : "" },
      h("td", {}, box),
      columns.map((c) => {
        if (c === "ref") return h("td", {}, h("a", { class: "run-link", href: "#/run/" + row.run_id }, row.ref));
        if (c === "state") return h("td", {}, badge(row.state));
        if (c === "tags") return h("td", { class: "tags" }, tagBadges(row.tags));
        const defaulted = data.defaulted[c] && data.defaulted[c][data.rows.indexOf(row)];
        return h("td", { class: defaulted ? "defaulted" : "" }, fmt(row[c], c));
      }));
    box.addEventListener("change", () => {
      if (box.checked) state.selected.add(row.run_id); else state.selected.delete(row.run_id);
      tr.classList.toggle("selected", box.checked);
      drawCurves();
    });
    return tr;
  }));
  const picker = h("details", { id: "column-picker" }, h("summary", {}, "Columns"),
    h("div", {}, data.columns.map((c) => {
      const box = h("input", { type: "checkbox", checked: !state.hidden.has(c), dataset: { col: c } });
      box.addEventListener("change", () => { if (box.checked) state.hidden.delete(c); else state.hidden.add(c); route(); });
      return h("label", {}, box, short(c), h("br"));
    })));
  const last = Math.min(offset + PAGE_SIZE, data.total);
  const pager = h("div", { class: "toolbar" },
    h("span", { id: "runs-total" }, data.total + " runs"),
    h("button", { id: "prev-page", disabled: offset === 0, onclick: () => go({ offset: Math.max(0, offset - PAGE_SIZE) }) }, "‹ prev"),
    h("span", { id: "page-info" }, data.total ? (offset + 1) + "–" + last : "0"),
    h("button", { id: "next-page", disabled: last >= data.total, onclick: () => go({ offset: offset + PAGE_SIZE }) }, "next ›"),
    picker);
  const metric = h("select", { id: "metric", onchange: drawCurves });
  const smooth = h("input", { id: "smooth", type: "range", min: 0, max: 0.99, step: 0.01, value: 0, onchange: drawCurves });
  const xaxis = h("select", { id: "xaxis", onchange: drawCurves }, h("option", { value: "step" }, "step"), h("option", { value: "time" }, "time"));
  const stitched = h("input", { id: "stitched", type: "checkbox", checked: true, onchange: drawCurves });
  const curvesBar = h("div", { class: "toolbar" }, "metric ", metric, " x ", xaxis, " smoothing ", smooth, h("label", {}, stitched, " stitch lineage"),
    h("button", { id: "clear-selection", onclick: () => { state.selected.clear(); route(); } }, "clear selection"));
  show(h("h2", {}, "Runs"), toolbar, errorBox, pager,
    h("div", { class: "table-wrap" }, h("table", { id: "runs-table" }, h("thead", {}, header), body)),
    h("h3", {}, "Curves of selected runs"), curvesBar, h("div", { id: "curves-plot", class: "plot" }),
    h("p", { id: "curves-status", class: "muted" }, "Select runs to compare their curves."));
  data.rows.forEach((r) => { state.states = state.states || {}; state.states[r.run_id] = r.state; });
  state.metricOrder = data.columns.filter((c) => c.startsWith("metrics.")).map(short);
  await drawCurves();
  state.timer = setInterval(() => {
    const running = [...state.selected].some((id) => (state.states || {})[id] === "running");
    if (running) drawCurves();
  }, REFRESH_MS);
}

async function drawCurves() {
  // Calls overlap when runs are ticked quickly: only the latest one may draw.
  const ticket = (state.drawTicket = (state.drawTicket || 0) + 1);
  const plotDiv = document.getElementById("curves-plot");
  const status = document.getElementById("curves-status");
  const select = document.getElementById("metric");
  if (!plotDiv) return;
  const ids = [...state.selected];
  if (!ids.length) { Plotly.purge(plotDiv); plotDiv.dataset.curves = "0"; status.textContent = "Select runs to compare their curves."; return; }
  const keys = (await api("/api/metrics?runs=" + ids.join(","))).metrics;
  if (ticket !== state.drawTicket) return;
  const previous = select.value || state.metric;
  const preferred = state.metricOrder.find((k) => keys.includes(k));
  select.replaceChildren(...keys.map((k) => h("option", { value: k }, k)));
  if (keys.includes(previous)) select.value = previous;
  else if (preferred) select.value = preferred;
  state.metric = select.value;
  if (!select.value) { status.textContent = "The selected runs have no curves."; return; }
  const params = new URLSearchParams({
    runs: ids.join(","), metric: select.value, max_points: 2000,
    smooth: document.getElementById("smooth").value, x: document.getElementById("xaxis").value,
    stitched: document.getElementById("stitched").checked,
  });
  const data = await api("/api/curves?" + params.toString());
  if (ticket !== state.drawTicket) return;
  const traces = [];
  const colour = (i) => PALETTE[i % PALETTE.length];
  data.curves.forEach((c, i) => {
    traces.push({ x: c.x, y: c.y, mode: "lines", name: c.label, line: { color: colour(i) }, legendgroup: String(c.run_id), meta: { role: "curve", run_id: c.run_id } });
  });
  data.curves.forEach((c, i) => {
    if (c.best) traces.push({ x: [c.best.x], y: [c.best.y], mode: "markers", marker: { symbol: "star", size: 13, color: colour(i) }, showlegend: false, legendgroup: String(c.run_id), name: "best of " + c.ref, meta: { role: "best", run_id: c.run_id } });
    if (c.forks.length) traces.push({ x: c.forks, y: c.forks.map((f) => { const k = c.x.findIndex((v) => v > f); return c.y[(k < 0 ? c.x.length : k) - 1]; }), mode: "markers", marker: { symbol: "diamond", size: 9, color: colour(i) }, showlegend: false, legendgroup: String(c.run_id), name: "fork of " + c.ref, meta: { role: "fork", run_id: c.run_id } });
  });
  await Plotly.react(plotDiv, traces, { margin: { t: 20 }, xaxis: { title: { text: params.get("x") } }, yaxis: { title: { text: data.metric } } }, { responsive: true });
  plotDiv.dataset.curves = String(data.curves.length);
  status.textContent = data.curves.length + " curves of " + data.metric;
}

// -- one run ---------------------------------------------------------------------------------
async function runView(id) {
  const run = await api("/api/runs/" + encodeURIComponent(id));
  const files = await api("/api/runs/" + encodeURIComponent(id) + "/files");
  const facts = ["study", "name", "created", "started", "ended", "duration", "host", "user", "pid", "command", "cwd", "python", "run_dir", "notes", "error"];
  const paramRows = Object.keys(run.params).sort().map((k) => h("tr", { class: run.defaulted.includes(k) ? "defaulted" : "" },
    h("td", {}, k), h("td", {}, fmt(run.params[k])), h("td", {}, run.defaulted.includes(k) ? "default" : "")));
  const metricRows = Object.entries(run.metrics).map(([k, s]) => h("tr", {}, h("td", {}, k),
    ["value", "last", "min", "max", "best_step", "count"].map((c) => h("td", {}, fmt(s[c])))));
  const lineage = run.ancestors.length
    ? h("ol", { id: "run-lineage" }, run.ancestors.slice().reverse().map((a) => h("li", {}, h("a", { href: "#/run/" + a.run_id }, a.ref), " ", badge(a.state))), h("li", {}, h("b", {}, run.ref), run.fork_step !== null ? " (forked at step " + run.fork_step + ")" : ""))
    : h("p", { id: "run-lineage", class: "muted" }, "No parent run.");
  const children = run.children.length
    ? h("ul", { id: "run-children" }, run.children.map((c) => h("li", {}, h("a", { href: "#/run/" + c.run_id }, c.ref), " ", badge(c.state), c.fork_step !== null ? " (from step " + c.fork_step + ")" : "")))
    : h("p", { id: "run-children", class: "muted" }, "No runs continue this one.");
  show(
    h("h2", { id: "run-title" }, run.ref + " ", badge(run.state), " ", tagBadges(run.tags)),
    h("table", { id: "run-facts" }, facts.filter((k) => run[k] !== null && run[k] !== undefined && run[k] !== "").map((k) => h("tr", {}, h("th", {}, k), h("td", {}, fmt(run[k], k))))),
    h("h3", {}, "Params"), h("table", { id: "run-params" }, paramRows),
    h("h3", {}, "Metrics"), h("table", { id: "run-metrics" }, h("tr", {}, ["metric", "value", "last", "min", "max", "best step", "count"].map((c) => h("th", {}, c))), metricRows),
    h("h3", {}, "Meta"), Object.keys(run.meta).length ? h("table", { id: "run-meta" }, Object.entries(run.meta).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, fmt(v))))) : h("p", { class: "muted" }, "none"),
    h("h3", {}, "Lineage"), lineage, h("h4", {}, "Continued by"), children,
    h("h3", {}, "Files"), files.files.length ? h("ul", { id: "run-files" }, files.files.map((f) => h("li", {}, f.path + " (" + f.bytes + " bytes)"))) : h("p", { class: "muted" }, "no files in " + files.run_dir),
    Object.entries(files.tails).map(([name, text]) => [h("h4", {}, name), h("pre", { class: "tail" }, text)]),
  );
}

// -- one study -------------------------------------------------------------------------------
async function studyView(label) {
  const kinds = ["history", "parallel", "importance", "pareto"];
  show(h("h2", { id: "study-title" }, label), h("p", {}, h("a", { href: "#/runs?study=" + encodeURIComponent(label) }, "runs of this study")),
    h("div", { class: "plots" }, kinds.map((k) => h("div", { id: "plot-" + k, class: "plot" }, h("p", { class: "muted" }, k + "…")))));
  await Promise.all(kinds.map(async (kind) => {
    const div = document.getElementById("plot-" + kind);
    try {
      const fig = await api("/api/studies/" + encodeURIComponent(label) + "/plots/" + kind);
      div.replaceChildren();
      await Plotly.newPlot(div, fig.data, fig.layout, { responsive: true });
    } catch (err) {
      div.replaceChildren(h("p", { class: "muted" }, kind + ": " + err.message));
    }
  }));
}

// -- queue -----------------------------------------------------------------------------------
async function queueView() {
  const data = await api("/api/queue");
  const counts = Object.entries(data.counts).map(([k, n]) => h("span", {}, badge(k), String(n), " "));
  const act = async (action, body) => {
    try { await post("/api/queue/" + action, body); await route(); }
    catch (err) { document.getElementById("queue-error").textContent = err.message; }
  };
  const section = (name, actions) => {
    const rows = data[name].map((r) => h("tr", { dataset: { runId: r.run_id } },
      h("td", {}, h("a", { href: "#/run/" + r.run_id }, r.ref)), h("td", {}, badge(r.state)),
      h("td", {}, String(r.attempt) + "/" + r.max_attempts), h("td", {}, r.worker || ""),
      h("td", {}, fmt(r.params)),
      h("td", {}, actions.map((a) => h("button", { class: "action-" + a, onclick: () => act(a, { runs: [r.run_id] }) }, a)))));
    return [h("h3", {}, name + " (" + data[name].length + ")"), h("table", { id: "queue-" + name }, rows)];
  };
  show(h("h2", {}, "Queue"), h("p", { id: "queue-counts" }, counts),
    h("div", { class: "toolbar" },
      h("button", { id: "pause-all", onclick: () => act("pause", { all: true }) }, "pause queue"),
      h("button", { id: "resume-all", onclick: () => act("resume", { all: true }) }, "resume queue")),
    h("div", { id: "queue-error", class: "error" }),
    section("queued", ["pause", "resume", "cancel"]), section("running", ["cancel"]), section("failed", ["retry"]));
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);
