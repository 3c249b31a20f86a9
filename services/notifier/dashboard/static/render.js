// Rendering of the dashboard's snapshot and decision events. Event data is only ever written
// with textContent or as SVG attributes, never parsed as HTML.
"use strict";

(function (ns) {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const OUTCOMES = ["approved", "counter_offered", "referred", "declined"];
  const OUTCOME_LABELS = {
    approved: "approved",
    counter_offered: "counter-offered",
    referred: "referred",
    declined: "declined",
  };

  let latestLimit = 20;
  let latest = [];

  const byId = (id) => document.getElementById(id);
  const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) {
      node.setAttribute(name, String(value));
    }
    if (text !== undefined) {
      node.textContent = String(text);
    }
    return node;
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "–" : decimal.format(rate * 100) + " %";
  }

  function millis(value) {
    return value === null || value === undefined ? "–" : decimal.format(value);
  }

  function clock(iso) {
    const date = new Date(iso);
    return isNaN(date.getTime()) ? String(iso) : date.toLocaleTimeString();
  }

  function renderSnapshot(s) {
    latestLimit = Math.max(1, s.latest_count);
    byId("approval-rate").textContent = percent(s.approval.rate);
    byId("approval-detail").textContent =
      s.approval.approved + " approved + " + s.approval.counter_offered +
      " counter-offered of " + s.approval.decisions + " decisions (" + s.approval.counts + ")";
    byId("decision-count").textContent = integer.format(s.decisions);
    byId("window-detail").textContent =
      "last " + s.window_minutes + " minutes of decision time, since " + clock(s.window_start);
    renderTotals(s.by_outcome);
    renderStacked(byId("chart-outcomes"), byId("legend-outcomes"), s.minutes, "by_outcome",
      OUTCOMES, (key) => "fill-" + key, (key) => OUTCOME_LABELS[key] || key);
    const products = Object.keys(s.by_product);
    renderStacked(byId("chart-products"), byId("legend-products"), s.minutes, "by_product",
      products, (key) => "fill-p" + (products.indexOf(key) % 7), (key) => key);
    renderReasons(s.decline_reasons);
    renderProbability(s.probability_of_default);
    renderLatency(s.latency);
    latest = s.latest.slice();
    renderLatest();
    const feed = s.feed;
    byId("feed-detail").textContent = feed
      ? "read " + feed.records + " records (" + feed.decisions + " decisions, " +
        (feed.skipped_undecodable + feed.skipped_invalid) + " skipped) from " +
        feed.assigned_partitions + " partitions; " + s.ignored_outside_window +
        " outside the window"
      : "";
  }

  function renderTotals(byOutcome) {
    const list = byId("outcome-totals");
    list.replaceChildren();
    for (const outcome of OUTCOMES) {
      const item = el("li", null, "fill-" + outcome);
      item.dataset.outcome = outcome;
      item.appendChild(el("span", OUTCOME_LABELS[outcome] + ": " + (byOutcome[outcome] || 0)));
      list.appendChild(item);
    }
  }

  function renderStacked(chart, legend, minutes, field, keys, classOf, labelOf) {
    const width = 640;
    const height = 180;
    const top = 14;
    const bottom = 20;
    const plot = height - top - bottom;
    const max = Math.max(1, ...minutes.map((m) => m.total));
    const slot = width / Math.max(1, minutes.length);
    chart.replaceChildren();
    chart.appendChild(svg("line", { x1: 0, y1: top + plot, x2: width, y2: top + plot, class: "axis" }));
    chart.appendChild(svg("text", { x: 2, y: 11 }, "max " + max + "/min"));
    minutes.forEach((minute, i) => {
      let y = top + plot;
      for (const key of keys) {
        const count = minute[field][key] || 0;
        if (count === 0) {
          continue;
        }
        const h = (count / max) * plot;
        y -= h;
        const bar = svg("rect", {
          x: (i * slot + 1).toFixed(1),
          y: y.toFixed(1),
          width: Math.max(1, slot - 2).toFixed(1),
          height: h.toFixed(1),
          class: classOf(key),
        });
        bar.appendChild(svg("title", {}, clock(minute.start) + " " + labelOf(key) + ": " + count));
        chart.appendChild(bar);
      }
    });
    if (minutes.length > 0) {
      chart.appendChild(svg("text", { x: 2, y: height - 4 }, clock(minutes[0].start)));
      chart.appendChild(svg("text", { x: width - 2, y: height - 4, "text-anchor": "end" },
        clock(minutes[minutes.length - 1].start)));
    }
    legend.replaceChildren();
    for (const key of keys) {
      const item = el("li", null, classOf(key));
      item.appendChild(el("span", labelOf(key)));
      legend.appendChild(item);
    }
  }

  function renderReasons(reasons) {
    const body = byId("decline-reasons").tBodies[0];
    body.replaceChildren();
    for (const reason of reasons) {
      const row = el("tr");
      row.dataset.testid = "decline-reason-row";
      row.dataset.code = reason.code;
      row.appendChild(el("td", reason.code, "code"));
      row.appendChild(el("td", reason.text));
      row.appendChild(el("td", reason.count, "num"));
      body.appendChild(row);
    }
  }

  function renderProbability(histogram) {
    const chart = byId("chart-pd");
    const width = 640;
    const height = 180;
    const top = 14;
    const bottom = 20;
    const plot = height - top - bottom;
    const max = Math.max(1, ...histogram.bins.map((b) => b.count));
    const slot = width / histogram.bins.length;
    chart.replaceChildren();
    chart.appendChild(svg("line", { x1: 0, y1: top + plot, x2: width, y2: top + plot, class: "axis" }));
    histogram.bins.forEach((bin, i) => {
      const h = (bin.count / max) * plot;
      const bar = svg("rect", {
        x: (i * slot + 2).toFixed(1),
        y: (top + plot - h).toFixed(1),
        width: (slot - 4).toFixed(1),
        height: h.toFixed(1),
        class: "pd",
      });
      bar.appendChild(svg("title", {}, bin.lower.toFixed(1) + "–" + bin.upper.toFixed(1) + ": " + bin.count));
      chart.appendChild(bar);
      chart.appendChild(svg("text", { x: (i * slot + slot / 2).toFixed(1), y: height - 4, "text-anchor": "middle" },
        bin.lower.toFixed(1)));
      if (bin.count > 0) {
        chart.appendChild(svg("text", { x: (i * slot + slot / 2).toFixed(1), y: (top + plot - h - 2).toFixed(1), "text-anchor": "middle" },
          bin.count));
      }
    });
    byId("pd-detail").textContent =
      histogram.scored + " scored, " + histogram.unscored + " without a probability of default";
  }

  function renderLatency(stats) {
    const body = byId("latency").tBodies[0];
    body.replaceChildren();
    for (const stat of stats) {
      const row = el("tr");
      row.dataset.testid = "latency-row";
      row.dataset.stage = stat.stage;
      row.appendChild(el("td", stat.stage === "end_to_end" ? "end to end" : stat.stage));
      row.appendChild(el("td", millis(stat.p50_ms), "num"));
      row.appendChild(el("td", millis(stat.p99_ms), "num"));
      row.appendChild(el("td", stat.count, "num"));
      body.appendChild(row);
    }
  }

  function addLatest(row) {
    // The same application and revision again (a replay) replaces its row.
    latest = latest.filter(
      (r) => !(r.application_id === row.application_id && r.revision === row.revision));
    latest.push(row);
    latest.sort((a, b) => Date.parse(b.decided_at) - Date.parse(a.decided_at));
    latest = latest.slice(0, latestLimit);
    renderLatest();
  }

  function renderLatest() {
    const body = byId("latest-decisions").tBodies[0];
    body.replaceChildren();
    for (const d of latest) {
      const row = el("tr");
      row.dataset.testid = "latest-row";
      row.dataset.applicationId = d.application_id;
      row.dataset.outcome = d.outcome;
      row.appendChild(el("td", clock(d.decided_at)));
      row.appendChild(el("td", d.application_id, "id"));
      row.appendChild(el("td", d.product));
      row.appendChild(el("td", integer.format(d.requested_amount) + " " + d.currency, "num"));
      const outcome = el("td");
      outcome.appendChild(el("span", OUTCOME_LABELS[d.outcome] || d.outcome, "outcome outcome-" + d.outcome));
      row.appendChild(outcome);
      row.appendChild(el("td", d.reason_codes.join(", ")));
      const offer = d.first_offer;
      row.appendChild(el("td", offer
        ? decimal.format(offer.interest_rate) + " % · " + integer.format(offer.amount) + " " +
          offer.currency + " · " + offer.term_months + " mo"
        : "—"));
      body.appendChild(row);
    }
  }

  function clearLatest() {
    latest = [];
    renderLatest();
  }

  ns.render = { snapshot: renderSnapshot, decision: addLatest, clear: clearLatest };
})((window.prescreenDashboard = window.prescreenDashboard || {}));
