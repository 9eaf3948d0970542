// The local dashboard: one uPlot chart of temperature per room with the pipeline's anomalies as points, a
// completeness table and the pipeline status, all from /api/events (Server-Sent Events, one snapshot per change);
// with the ingest stream on, the latest reading per device and the room summaries from the HTTP API's own
// latest-state routes, which the dashboard serves through the same handler.
/* global uPlot */
"use strict";

const COLORS = ["#3a7bd5", "#e07b39", "#2e9e6b", "#8e5bd6", "#c2407a", "#6b7f1e", "#1d9bb5", "#9b6b2e"];
let chart;
let chartRooms = "";

function text(id, value) {
  document.getElementById(id).textContent = String(value);
}

function buildChart(series) {
  const container = document.getElementById("chart");
  container.innerHTML = "";
  const opts = {
    width: Math.max(600, container.clientWidth - 16),
    height: 320,
    scales: { x: { time: true } },
    axes: [{}, { label: "°C" }],
    series: [
      {},
      ...series.rooms.map((room, i) => ({
        label: room,
        stroke: COLORS[i % COLORS.length],
        width: 1.5,
        spanGaps: true,
      })),
      {
        label: "anomaly",
        stroke: "#b3261e",
        width: 0,
        paths: () => null,
        points: { show: true, size: 9, fill: "#b3261e" },
      },
    ],
  };
  chart = new uPlot(opts, [series.t, ...series.values, series.anomalies], container);
  chartRooms = series.rooms.join(",");
}

function render(s) {
  text("deployment", s.deployment);
  text("now", s.now.replace("T", " ").slice(0, 19));
  text("speed", s.speed);
  text("accepted", s.status.accepted);
  text("quarantined", s.status.quarantined);
  text("files", s.status.filesWritten);
  text("buffered", s.status.buffered);
  text("clients", s.status.connectedClients);
  text("anomalies", s.series.anomalyCount);
  if (!chart || chartRooms !== s.series.rooms.join(",")) buildChart(s.series);
  else chart.setData([s.series.t, ...s.series.values, s.series.anomalies]);

  const completeness = document.querySelector("#completeness tbody");
  completeness.innerHTML = "";
  for (const row of s.completeness) {
    const tr = document.createElement("tr");
    // A (device_id, seq) received twice with different values: a reused counter or a shared identity.
    tr.className = row.conflicting_duplicates > 0 ? "device conflict" : "device";
    const pct = Math.max(0, Math.min(100, row.completeness_pct));
    for (const value of [
      row.device_id,
      row.room_id,
      row.day,
      row.readings,
      row.missing,
      row.conflicting_duplicates,
    ]) {
      const td = document.createElement("td");
      td.textContent = String(value);
      tr.appendChild(td);
    }
    const td = document.createElement("td");
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${pct}px`;
    td.append(bar, `${pct.toFixed(1)}%`);
    tr.appendChild(td);
    completeness.appendChild(tr);
  }

  const executions = document.querySelector("#executions tbody");
  executions.innerHTML = "";
  for (const e of s.status.executions) {
    const tr = document.createElement("tr");
    tr.className = "execution";
    for (const [value, cls] of [
      [e.machine, ""],
      [e.start.replace("T", " ").slice(0, 19), ""],
      [e.status, `status-${e.status}`],
    ]) {
      const td = document.createElement("td");
      td.textContent = value;
      if (cls) td.className = cls;
      if (e.error && cls) td.title = e.error;
      tr.appendChild(td);
    }
    executions.appendChild(tr);
  }
  const metrics = document.querySelector("#metrics tbody");
  metrics.innerHTML = "";
  for (const [name, m] of Object.entries(s.metrics.metrics)) {
    if (m.value === null) continue;
    const tr = document.createElement("tr");
    tr.className = "metric";
    const unit = m.unit === "Seconds" ? " s" : "";
    const value = `${Number.isInteger(m.value) ? m.value : m.value.toFixed(1)}${unit} (${m.statistic.toLowerCase()})`;
    const last = m.lastAt ? m.lastAt.replace("T", " ").slice(0, 19) : "";
    for (const cell of [name, value, last]) {
      const td = document.createElement("td");
      td.textContent = cell;
      tr.appendChild(td);
    }
    metrics.appendChild(tr);
  }
  text("last-error", s.status.lastError || (s.errors.length ? s.errors.join("\n") : "none"));
  const alerts = document.getElementById("alerts");
  alerts.innerHTML = "";
  for (const a of s.status.alerts) {
    const li = document.createElement("li");
    li.textContent = `${a.at.replace("T", " ").slice(0, 19)} ${a.subject}`;
    li.title = a.message;
    alerts.appendChild(li);
  }
}

/** Wall ms between two reads of the latest-state routes (a snapshot may arrive every second). */
const LATEST_REFRESH_MS = 2000;
let latestInFlight = false;
let latestReadAt = 0;

function cells(tr, values) {
  for (const value of values) {
    const td = document.createElement("td");
    td.textContent = value === undefined || value === null ? "-" : String(value);
    tr.appendChild(td);
  }
}

async function getJson(path) {
  const response = await fetch(path);
  return { status: response.status, body: await response.json() };
}

/** Reads every device's latest reading and every room's summary through the latest-state routes. */
async function refreshLatest(requests) {
  const section = document.getElementById("latest-state");
  section.hidden = !requests;
  if (!requests || latestInFlight || Date.now() - latestReadAt < LATEST_REFRESH_MS) return;
  latestInFlight = true;
  try {
    const [devices, rooms] = await Promise.all([
      Promise.all(requests.devices.map((d) => getJson(d.path))),
      Promise.all(requests.rooms.map((r) => getJson(r.path))),
    ]);
    const latest = document.querySelector("#latest tbody");
    latest.innerHTML = "";
    requests.devices.forEach((d, i) => {
      const { status, body } = devices[i];
      // 404: no reading of the device within the table's TTL (yet).
      if (status === 404) return;
      const tr = document.createElement("tr");
      tr.className = "latest";
      if (status !== 200) cells(tr, [d.device_id, body.error || `HTTP ${status}`, "", "", ""]);
      else
        cells(tr, [
          body.device_id,
          body.room_id,
          body.temperature_c,
          body.humidity_pct,
          (body.reading_time || "").replace("T", " ").slice(0, 19),
        ]);
      latest.appendChild(tr);
    });
    text("summary-hours", requests.hours);
    const summary = document.querySelector("#room-summary tbody");
    summary.innerHTML = "";
    requests.rooms.forEach((r, i) => {
      const { status, body } = rooms[i];
      const tr = document.createElement("tr");
      tr.className = "room-summary";
      if (status !== 200) cells(tr, [r.room_id, body.error || `HTTP ${status}`, "", "", ""]);
      else cells(tr, [body.room_id, body.readings, body.min, body.avg, body.max]);
      summary.appendChild(tr);
    });
  } catch (err) {
    text("last-error", `latest state: ${err.message}`);
  } finally {
    latestReadAt = Date.now();
    latestInFlight = false;
  }
}

function connect() {
  const events = new EventSource("/api/events");
  const badge = document.getElementById("connection");
  events.onopen = () => {
    badge.textContent = "live";
    badge.className = "badge live";
  };
  events.onmessage = (message) => {
    const snapshot = JSON.parse(message.data);
    render(snapshot);
    void refreshLatest(snapshot.latestState);
  };
  events.onerror = () => {
    badge.textContent = "reconnecting";
    badge.className = "badge";
  };
}

document.getElementById("run-etl").addEventListener("click", async () => {
  // The server refuses state-changing requests without this run's token, which only this page carries.
  const token = document.querySelector('meta[name="run-token"]').content;
  const response = await fetch("/api/etl", { method: "POST", headers: { "x-run-token": token } });
  const body = await response.json();
  document.getElementById("run-etl").textContent = response.ok ? "ETL started" : body.error;
});

connect();
