// The report's own code, on d3 (embedded above): a summary, parallel
// coordinates (lines on a canvas, axes and brushes in SVG), each parameter
// against the objective, and the sortable, filterable table of jobs. All data
// is in <script id="data">; nothing is fetched.
(function () {
  "use strict";
  const raw = JSON.parse(document.getElementById("data").textContent);
  const decode = (v) => {
    if (v !== null && typeof v === "object" && "n" in v) {
      return v.n === "Infinity" ? Infinity : v.n === "-Infinity" ? -Infinity : NaN;
    }
    return v;
  };
  const cols = raw.columns.map((c, i) => ({ name: c.name, role: c.role, values: raw.values[i].map(decode) }));
  const count = cols.length ? cols[0].values.length : 0;
  const all = d3.range(count);
  const byName = {};
  cols.forEach((c) => { byName[c.name] = c; });
  // A metric that shares a param's name is the column `metrics.<name>`.
  const metricColumn = (name) => (byName["metrics." + name] && byName["metrics." + name].role === "metric" ? "metrics." + name : name);
  const constantNames = new Set(raw.constants.map((k) => k[0]));
  const seeds = new Set(raw.seeds);
  const params = cols.filter((c) => c.role === "param" && !constantNames.has(c.name));
  const isNumber = (v) => typeof v === "number";
  const metrics = cols.filter((c) => c.role === "metric" && c.values.some(isNumber));
  const objective = raw.objective;
  const stateOf = (i) => (byName.state ? byName.state.values[i] : "completed");
  const completed = (i) => stateOf(i) === "completed" || stateOf(i) === "skipped";
  const keyOf = (v) => (v === null || v === undefined ? "(missing)" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const text = (v) => {
    if (v === null || v === undefined) return "-";
    if (isNumber(v)) {
      if (!isFinite(v)) return isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6));
    }
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  };

  // ------------------------------------------------------------ summary
  const summary = d3.select("#summary");
  raw.header.forEach((line) => summary.append("p").text(line));
  const constants = raw.constants.map((k) => k[0] + "=" + k[1])
    .concat(raw.constantMetrics.map((k) => k[0] + "=" + k[1] + " (metric)"));
  if (constants.length) summary.append("p").text("the same in every row: " + constants.join(", "));
  raw.footer.forEach((line) => summary.append("p").attr("class", "meta").text(line));

  let mode = "job";  // "group" below when there are seeds: a line per group
  // ------------------------------------------------------------ groups (mean over the seeds)
  const groupKeys = raw.groupKeys.filter((k) => byName[k]);
  const grouped = seeds.size > 0 && params.some((p) => seeds.has(p.name));
  const groupOfRow = new Array(count);
  const groups = [];
  if (grouped) {
    const index = new Map();
    all.forEach((i) => {
      if (!completed(i)) return;
      const key = groupKeys.map((k) => keyOf(byName[k].values[i])).join("\u0001");
      let g = index.get(key);
      if (g === undefined) {
        g = groups.length;
        index.set(key, g);
        groups.push({ rows: [], values: {} });
      }
      groups[g].rows.push(i);
      groupOfRow[i] = g;
    });
    groups.forEach((g) => {
      groupKeys.forEach((k) => { g.values[k] = byName[k].values[g.rows[0]]; });
      metrics.forEach((m) => {
        const xs = g.rows.map((i) => m.values[i]).filter((v) => isNumber(v) && !isNaN(v));
        g.values[m.name] = xs.length ? d3.mean(xs) : null;
      });
    });
    mode = "group";  // with seeds, the mean over them is what answers the question
    d3.select("#lines").property("value", "group");
  } else {
    d3.select("#lines-control").style("display", "none");
  }

  // ------------------------------------------------------------ colour
  const colourSelect = d3.select("#colour");
  colourSelect.selectAll("option").data(metrics).enter().append("option")
    .attr("value", (m) => m.name).text((m) => m.name);
  let colourMetric = objective && byName[metricColumn(objective.metric)] ? metricColumn(objective.metric)
    : metrics.length ? metrics[0].name : null;
  if (colourMetric) colourSelect.property("value", colourMetric);
  const lowerIsBetter = (name) => objective && metricColumn(objective.metric) === name && objective.lower;
  function colourScale(name) {
    if (!name) return () => "#4682b4";
    const xs = byName[name].values.filter((v) => isNumber(v) && isFinite(v));
    const [lo, hi] = xs.length ? d3.extent(xs) : [0, 1];
    const scale = d3.scaleSequential(d3.interpolateViridis).domain(lowerIsBetter(name) ? [hi, lo] : [lo, hi]);
    return (v) => (isNumber(v) && isFinite(v) ? scale(v) : "#999");
  }

  // ------------------------------------------------------------ parallel coordinates
  const H = 300;
  const top = 40;
  const bottom = 50;
  const brushes = new Map();  // axis name -> [y0, y1]
  let selected = new Set(all);
  const axisColumns = params.concat(metrics.filter((m) => !params.includes(m)));

  function axisFor(col, values) {
    const nums = values.filter((v) => isNumber(v) && isFinite(v));
    const numeric = values.every((v) => v === null || isNumber(v)) && nums.length > 0;
    if (numeric) {
      let [lo, hi] = d3.extent(nums);
      const log = lo > 0 && hi / lo >= 100;
      if (lo === hi) {
        lo = log ? lo / 2 : lo - 1;
        hi = log ? hi * 2 : hi + 1;
      }
      const scale = (log ? d3.scaleLog() : d3.scaleLinear()).domain([lo, hi]).range([H, 0]);
      if (!log) scale.nice();
      const pos = (v) => (isNumber(v) && isFinite(v) ? scale(v) : v === Infinity ? -10 : v === -Infinity ? H + 10 : H + 28);
      return { col, scale, pos, numeric: true };
    }
    const keys = [];
    const seen = new Set();
    values.forEach((v) => {
      const k = keyOf(v);
      if (k !== "(missing)" && !seen.has(k)) { seen.add(k); keys.push(k); }
    });
    const scale = d3.scalePoint().domain(keys).range([H, 0]).padding(0.5);
    const pos = (v) => (v === null || v === undefined ? H + 28 : scale(keyOf(v)));
    return { col, scale, pos, numeric: false };
  }

  const container = d3.select("#parcoords");
  const canvas = container.append("canvas").node();
  const svg = container.append("svg");

  function lineItems() {
    if (mode === "group" && grouped) {
      return groups.map((g, gi) => ({ id: gi, value: (name) => g.values[name], rows: g.rows }));
    }
    return all.map((i) => ({ id: i, value: (name) => byName[name].values[i], rows: [i] }));
  }

  function drawParcoords() {
    const items = lineItems();
    const names = axisColumns.filter((c) => !(mode === "group" && seeds.has(c.name))).map((c) => c.name);
    const width = Math.max(640, Math.min(window.innerWidth - 64, names.length * 150));
    const x = d3.scalePoint().domain(names).range([60, width - 60]);
    const axes = names.map((name) => axisFor(byName[name], items.map((it) => it.value(name))));
    const dpr = window.devicePixelRatio || 1;
    const fullHeight = top + H + bottom;
    canvas.width = width * dpr;
    canvas.height = fullHeight * dpr;
    canvas.style.width = width + "px";
    canvas.style.height = fullHeight + "px";
    container.style("height", fullHeight + "px");
    svg.attr("width", width).attr("height", fullHeight);
    svg.selectAll("*").remove();

    const colour = colourScale(colourMetric);
    const keep = (it) => axes.every((a) => {
      const b = brushes.get(a.col.name);
      if (!b) return true;
      const y = a.pos(it.value(a.col.name));
      return y >= b[0] && y <= b[1];
    });
    const kept = items.filter(keep);
    selected = new Set();
    kept.forEach((it) => it.rows.forEach((i) => selected.add(i)));
    if (mode === "group") all.forEach((i) => { if (!completed(i) && brushes.size === 0) selected.add(i); });

    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, fullHeight);
    ctx.lineWidth = items.length > 2000 ? 0.6 : items.length > 200 ? 1.2 : 2;
    const path = (it) => {
      ctx.beginPath();
      axes.forEach((a, k) => {
        const px = x(a.col.name);
        const py = top + a.pos(it.value(a.col.name));
        if (k === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      });
      ctx.stroke();
    };
    ctx.globalAlpha = 0.15;
    ctx.strokeStyle = "#bbb";
    items.forEach((it) => { if (!keep(it)) path(it); });
    ctx.globalAlpha = items.length > 2000 ? 0.35 : items.length > 200 ? 0.8 : 1;
    // The best lines last, on top; a job that did not complete in grey (its metrics are partial).
    const rankOf = (it) => {
      const v = colourMetric ? it.value(colourMetric) : null;
      if (!isNumber(v) || !isFinite(v)) return -Infinity;
      return lowerIsBetter(colourMetric) ? -v : v;
    };
    kept.slice().sort((a, b) => { const x = rankOf(a), y = rankOf(b); return x === y ? 0 : x < y ? -1 : 1; }).forEach((it) => {
      const done = it.rows.every(completed);
      ctx.strokeStyle = done ? colour(colourMetric ? it.value(colourMetric) : null) : "#999";
      path(it);
    });
    ctx.globalAlpha = 1;

    axes.forEach((a) => {
      const g = svg.append("g").attr("class", "axis").attr("transform", `translate(${x(a.col.name)},${top})`);
      g.append("rect").attr("class", "missing-band").attr("x", -20).attr("y", H + 20).attr("width", 40).attr("height", 16);
      g.append("text").attr("y", H + 46).attr("text-anchor", "middle").attr("fill", "#888").text("missing");
      g.call(d3.axisLeft(a.scale).ticks(6, a.numeric && a.scale.base ? "~g" : undefined));
      const title = a.col.name + (a.col.role === "metric" && mode === "group" ? " (mean)" : "");
      g.append("text").attr("class", "title").attr("y", -16).attr("text-anchor", "middle").text(title)
        .append("title").text(a.col.role === "metric" ? "metric" : "parameter");
      const brush = d3.brushY().extent([[-14, -12], [14, H + 38]]).on("end", function () {
        if (!d3.event.sourceEvent) return;  // a brush put back after a redraw, not a person
        const s = d3.event.selection;
        if (s) brushes.set(a.col.name, s); else brushes.delete(a.col.name);
        drawParcoords();
        drawTable();
      });
      const bg = g.append("g").attr("class", "brush").call(brush);
      const existing = brushes.get(a.col.name);
      if (existing) bg.call(brush.move, existing);
    });
  }

  colourSelect.on("change", function () {
    colourMetric = this.value;
    drawParcoords();
    drawParams();
  });
  d3.select("#lines").on("change", function () {
    mode = this.value;
    brushes.clear();
    drawParcoords();
    drawTable();
  });
  d3.select("#clear").on("click", () => {
    brushes.clear();
    drawParcoords();
    drawTable();
  });

  // ------------------------------------------------------------ each parameter against the metric
  function drawParams() {
    const host = d3.select("#params");
    host.selectAll("*").remove();
    if (!colourMetric) {
      host.append("p").attr("class", "meta").text("no job has a numeric metric yet");
      return;
    }
    const m = byName[colourMetric];
    const done = all.filter((i) => completed(i) && isNumber(m.values[i]) && isFinite(m.values[i]));
    const ys = done.map((i) => m.values[i]);
    const [lo, hi] = ys.length ? d3.extent(ys) : [0, 1];
    const W = 320;
    const PH = 220;
    const y = d3.scaleLinear().domain(lo === hi ? [lo - 1, hi + 1] : [lo, hi]).nice().range([PH - 40, 16]);
    params.filter((p) => !seeds.has(p.name)).forEach((p) => {
      const keys = [];
      const seen = new Set();
      const numericKeys = p.values.every((v) => v === null || isNumber(v));
      all.forEach((i) => {
        const k = keyOf(p.values[i]);
        if (!seen.has(k)) { seen.add(k); keys.push({ k, v: p.values[i] }); }
      });
      if (numericKeys) keys.sort((a, b) => (a.v === null) - (b.v === null) || a.v - b.v);
      const x = d3.scalePoint().domain(keys.map((k) => k.k)).range([50, W - 16]).padding(0.5);
      const svgP = host.append("svg").attr("width", W).attr("height", PH).attr("class", "param-plot");
      svgP.append("text").attr("x", W / 2).attr("y", 12).attr("text-anchor", "middle").attr("font-weight", 600)
        .text(`${colourMetric} by ${p.name}`);
      svgP.append("g").attr("transform", `translate(50,0)`).call(d3.axisLeft(y).ticks(5));
      svgP.append("g").attr("transform", `translate(0,${PH - 40})`).call(d3.axisBottom(x))
        .selectAll("text").attr("transform", "rotate(-20)").attr("text-anchor", "end");
      if (done.length <= 2000) {
        svgP.append("g").selectAll("circle").data(done).enter().append("circle")
          .attr("cx", (i) => x(keyOf(p.values[i])) + ((i * 7919) % 13 - 6))
          .attr("cy", (i) => y(m.values[i])).attr("r", 2.5).attr("fill", "#4682b4").attr("opacity", 0.5);
      }
      const stats = keys.map((k) => {
        const xs = done.filter((i) => keyOf(p.values[i]) === k.k).map((i) => m.values[i]);
        return { k: k.k, n: xs.length, mean: xs.length ? d3.mean(xs) : null, sd: xs.length > 1 ? d3.deviation(xs) : 0 };
      }).filter((s) => s.n > 0);
      const g = svgP.append("g");
      g.selectAll("line.sd").data(stats).enter().append("line").attr("class", "sd")
        .attr("x1", (s) => x(s.k)).attr("x2", (s) => x(s.k))
        .attr("y1", (s) => y(s.mean - s.sd)).attr("y2", (s) => y(s.mean + s.sd))
        .attr("stroke", "#c0392b").attr("stroke-width", 2);
      g.append("path").datum(stats).attr("fill", "none").attr("stroke", "#c0392b").attr("stroke-width", 1.5)
        .attr("d", d3.line().x((s) => x(s.k)).y((s) => y(s.mean)));
      g.selectAll("circle.mean").data(stats).enter().append("circle").attr("class", "mean")
        .attr("cx", (s) => x(s.k)).attr("cy", (s) => y(s.mean)).attr("r", 4).attr("fill", "#c0392b")
        .append("title").text((s) => `${p.name}=${s.k}: mean ${text(s.mean)}, std ${text(s.sd)} over ${s.n} jobs`);
    });
  }

  // ------------------------------------------------------------ the table
  const MAX_ROWS = 1000;
  const shown = cols.filter((c) => c.role !== "flag" || c.values.some((v) => v === true));
  let sortColumn = objective && byName[metricColumn(objective.metric)] ? metricColumn(objective.metric) : null;
  let sortDescending = objective ? !objective.lower : false;
  const filterInput = d3.select("#filter");
  filterInput.on("input", () => drawTable());

  d3.select("#jobs thead").append("tr").selectAll("th").data(shown).enter().append("th")
    .text((c) => c.name)
    .on("click", (c) => {
      if (sortColumn === c.name) sortDescending = !sortDescending;
      else { sortColumn = c.name; sortDescending = c.role === "metric"; }
      drawTable();
    });

  function compare(a, b, metric) {
    // Missing and NaN last; in a metric's column, text ("diverged") too.
    const rank = (v) => (v === null || v === undefined || (isNumber(v) && isNaN(v)) || (metric && !isNumber(v)) ? 2
      : isNumber(v) ? 0 : 1);
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) return { c: ra - rb, last: ra === 2 || rb === 2 };
    if (ra === 0) return { c: a - b, last: false };
    return { c: keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0, last: ra === 2 };
  }

  function drawTable() {
    const needle = filterInput.property("value").trim().toLowerCase();
    let rows = all.filter((i) => selected.has(i));
    if (needle) rows = rows.filter((i) => shown.some((c) => text(c.values[i]).toLowerCase().includes(needle)));
    if (sortColumn && byName[sortColumn]) {
      const v = byName[sortColumn].values;
      rows.sort((a, b) => {
        const r = compare(v[a], v[b], byName[sortColumn].role === "metric");
        if (r.last) return r.c;  // missing and NaN last either way
        return sortDescending ? -r.c : r.c;
      });
    }
    d3.selectAll("#jobs th")
      .classed("sorted-asc", (c) => c.name === sortColumn && !sortDescending)
      .classed("sorted-desc", (c) => c.name === sortColumn && sortDescending);
    const body = d3.select("#jobs tbody");
    body.selectAll("tr").remove();
    const tr = body.selectAll("tr").data(rows.slice(0, MAX_ROWS)).enter().append("tr")
      .attr("data-job", (i) => (byName.job ? byName.job.values[i] : i + 1))
      .classed("not-completed", (i) => !completed(i))
      .classed("in-flight", (i) => byName.in_flight && byName.in_flight.values[i] === true);
    shown.forEach((c) => {
      tr.append("td")
        .attr("class", (i) => (c.values[i] === null ? "missing" : isNumber(c.values[i]) ? "num" : null))
        .text((i) => (c.name === "runtime" && isNumber(c.values[i]) ? d3.format(".1f")(c.values[i]) + "s" : text(c.values[i])));
    });
    d3.select("#count").text(
      `${rows.length} of ${count} jobs` + (rows.length > MAX_ROWS ? ` (the first ${MAX_ROWS} shown: filter or brush to narrow)` : ""));
  }

  drawParcoords();
  drawParams();
  drawTable();
  // When the page was ready, in milliseconds since it started loading (tests and bench/ read it).
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
})();
