// The live page: one WebSocket to the bridge, DOM updates on animation frames, Plotly
// plots (G-G and track map) throttled so a 60 Hz stream does not swamp the browser.
"use strict";

const CHANNELS = ["speed_kmh", "gear", "rpm", "gas", "brake", "steer", "current_lap",
  "game_lap_ms", "game_last_lap_ms", "game_best_lap_ms", "lap_valid", "tyres_out",
  "wheel_lock_any", "damage_level", "accel_lateral", "accel_longitudinal", "pos_x", "pos_z",
  "lap_fraction"];
const PAGE_RATE = 30;          // frames per second the page asks for
const PLOT_PERIOD_MS = 66;     // plots redraw at most ~15 times a second
const GG_TRAIL = 90;
const MAP_TRAIL_MAX = 6000;

const state = {
  frames: 0, dropped: 0, connected: false, paused: false, last: null, delta: null,
  maxRpm: 0, outline: null, trail: { x: [], y: [] }, gg: { x: [], y: [] }, events: [],
};
window.actelemetry = state;  // for tests and the curious

const $ = (id) => document.getElementById(id);

function lapTime(ms) {
  if (!Number.isFinite(ms) || ms <= 0 || ms >= 2147483647) return "–";
  ms = Math.round(ms);
  const m = Math.floor(ms / 60000), s = Math.floor(ms / 1000) % 60, r = ms % 1000;
  return `${m}:${String(s).padStart(2, "0")}.${String(r).padStart(3, "0")}`;
}

function setBadge(el, text, cls) { el.textContent = text; el.className = "badge " + (cls || ""); }

function streamUrl() {
  const params = new URLSearchParams(location.search);
  const q = new URLSearchParams({ channels: CHANNELS.join(","), rate: String(PAGE_RATE) });
  if (params.get("token")) q.set("token", params.get("token"));
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?" + q;
}

// --- plots -----------------------------------------------------------------------------
const plotLayout = (extra) => Object.assign({
  margin: { l: 40, r: 10, t: 10, b: 30 }, paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)", font: { color: "#8a93a0" }, showlegend: false,
}, extra);

function initPlots() {
  if (typeof Plotly === "undefined") return false;
  const circle = [...Array(73).keys()].map((i) => i * 5 * Math.PI / 180);
  Plotly.newPlot($("gg"), [
    { x: circle.map(Math.sin).map((v) => 2 * v), y: circle.map(Math.cos).map((v) => 2 * v),
      mode: "lines", line: { color: "#2a313b" }, hoverinfo: "skip" },
    { x: [], y: [], mode: "lines", line: { color: "rgba(52,152,219,.5)" }, hoverinfo: "skip" },
    { x: [0], y: [0], mode: "markers", marker: { size: 14, color: "#f1c40f" } },
  ], plotLayout({
    xaxis: { range: [-3, 3], zeroline: true, title: { text: "lateral g" }, gridcolor: "#2a313b" },
    yaxis: { range: [-3, 3], zeroline: true, scaleanchor: "x", gridcolor: "#2a313b",
             title: { text: "long. g" } },
  }), { displayModeBar: false, staticPlot: true });
  Plotly.newPlot($("map"), [
    { x: [], y: [], mode: "lines", line: { color: "#3d4654", width: 6 }, hoverinfo: "skip" },
    { x: [], y: [], mode: "lines", line: { color: "rgba(52,152,219,.6)", width: 2 },
      hoverinfo: "skip" },
    { x: [], y: [], mode: "markers", marker: { size: 14, color: "#e74c3c" } },
  ], plotLayout({
    xaxis: { visible: false }, yaxis: { visible: false, scaleanchor: "x" },
  }), { displayModeBar: false, staticPlot: true });
  return true;
}

function setOutline(points) {
  state.outline = points;
  if (!plotsReady || !points) return;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  xs.push(xs[0]); ys.push(ys[0]);
  Plotly.restyle($("map"), { x: [xs], y: [ys] }, [0]);
}

let plotsReady = false;
let lastPlot = 0;
function drawPlots(now) {
  if (!plotsReady || !state.last || now - lastPlot < PLOT_PERIOD_MS) return;
  lastPlot = now;
  const c = state.last;
  Plotly.restyle($("gg"), { x: [state.gg.x, [c.accel_lateral]],
                            y: [state.gg.y, [c.accel_longitudinal]] }, [1, 2]);
  Plotly.restyle($("map"), { x: [state.trail.x, [c.pos_x]], y: [state.trail.y, [c.pos_z]] },
                 [1, 2]);
}

// --- numbers and bars ------------------------------------------------------------------
function drawNumbers() {
  const c = state.last;
  if (!c) return;
  $("speed").textContent = c.speed_kmh.toFixed(1);
  $("gear").textContent = c.gear < 0 ? "R" : c.gear === 0 ? "N" : String(c.gear);
  $("rpm").textContent = String(c.rpm);
  if (state.maxRpm > 0) $("rpm-bar").style.width = Math.min(100, 100 * c.rpm / state.maxRpm) + "%";
  $("gas-bar").style.width = (100 * c.gas).toFixed(1) + "%";
  $("brake-bar").style.width = (100 * c.brake).toFixed(1) + "%";
  const st = Math.max(-1, Math.min(1, c.steer));
  const sb = $("steer-bar");
  sb.style.left = (st < 0 ? 50 + 50 * st : 50) + "%";
  sb.style.width = (50 * Math.abs(st)).toFixed(1) + "%";
  $("gas").textContent = c.gas.toFixed(2);
  $("brake").textContent = c.brake.toFixed(2);
  $("steer").textContent = (st >= 0 ? "+" : "") + st.toFixed(2);
  $("lap-number").textContent = String(c.current_lap);
  $("lap-current").textContent = lapTime(c.game_lap_ms);
  $("lap-last").textContent = lapTime(c.game_last_lap_ms);
  $("lap-best").textContent = lapTime(c.game_best_lap_ms);
  const d = $("delta");
  if (state.delta === null || state.delta === undefined) {
    d.textContent = "–"; d.className = "value";
  } else {
    d.textContent = (state.delta >= 0 ? "+" : "") + state.delta.toFixed(3);
    d.className = "value " + (state.delta > 0 ? "behind" : "ahead");
  }
  setBadge($("lap-valid"), c.lap_valid ? "lap valid" : "lap invalid", c.lap_valid ? "ok" : "bad");
  setBadge($("tyres-out"), `tyres out ${c.tyres_out}`, c.tyres_out > 2 ? "bad" : "");
  setBadge($("lock"), "wheel lock", c.wheel_lock_any ? "bad" : "");
  setBadge($("damage"), `damage ${c.damage_level}`, c.damage_level > 0 ? "bad" : "");
}

let drawPending = false;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame((now) => { drawPending = false; drawNumbers(); drawPlots(now); });
}

// --- messages --------------------------------------------------------------------------
function logEvent(text) {
  state.events.unshift(text);
  state.events.length = Math.min(state.events.length, 6);
  $("events").innerHTML = "";
  for (const e of state.events) {
    const li = document.createElement("li"); li.textContent = e; $("events").appendChild(li);
  }
}

function onSession(session) {
  if (!session) { $("session").textContent = "waiting for the game…"; return; }
  state.maxRpm = session.max_rpm || 0;
  $("session").textContent = `${(session.game || "").toUpperCase()} · ${session.car} · ` +
    `${session.track}${session.driver ? " · " + session.driver : ""}`;
}

function onFrame(msg) {
  const c = msg.data;
  state.frames += 1;
  state.last = c;
  state.delta = msg.delta_best_s;
  if (state.paused) { state.paused = false; setBadge($("status"), "live", "ok"); }
  state.gg.x.push(c.accel_lateral); state.gg.y.push(c.accel_longitudinal);
  if (state.gg.x.length > GG_TRAIL) { state.gg.x.shift(); state.gg.y.shift(); }
  const t = state.trail;
  if (t.x.length === 0 || Math.hypot(c.pos_x - t.x[t.x.length - 1],
                                     c.pos_z - t.y[t.y.length - 1]) > 2) {
    t.x.push(c.pos_x); t.y.push(c.pos_z);
    if (t.x.length > MAP_TRAIL_MAX) { t.x.shift(); t.y.shift(); }
  }
  scheduleDraw();
}

function onEvent(msg) {
  switch (msg.event) {
    case "session_start":
      onSession(msg.session); state.trail = { x: [], y: [] }; setOutline(null);
      logEvent("session started"); break;
    case "session_end": onSession(null); logEvent("session ended"); break;
    case "lap_completed":
      // one definition of a lap: only a timed lap is valid or not (see docs/protocol.md)
      logEvent(`lap ${msg.lap} (${msg.kind || "timed"}): ${lapTime(msg.time_ms)}` +
               `${msg.valid === false ? " · invalid" : ""}${msg.best ? " · best" : ""}`);
      break;
    case "track_outline": setOutline(msg.points); break;
    case "pause": state.paused = true; setBadge($("status"), "paused", "off"); break;
    case "resume": state.paused = false; setBadge($("status"), "live", "ok"); break;
    default: break;
  }
}

function onMessage(ev) {
  let msg;
  try { msg = JSON.parse(ev.data); } catch (e) { return; }
  if (msg.type === "frame") onFrame(msg);
  else if (msg.type === "event") onEvent(msg);
  else if (msg.type === "hello") {
    onSession(msg.session);
    if (msg.track_outline) setOutline(msg.track_outline);
  } else if (msg.type === "dropped") state.dropped += msg.count;
}

// --- connection, with reconnects -------------------------------------------------------
let backoff = 500;
function connect() {
  const ws = new WebSocket(streamUrl());
  ws.onopen = () => { state.connected = true; backoff = 500; setBadge($("status"), "live", "ok"); };
  ws.onmessage = onMessage;
  ws.onclose = () => {
    state.connected = false;
    setBadge($("status"), "reconnecting", "off");
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 8000);
  };
}

plotsReady = initPlots();
connect();
