// Shared by every page: the logged-in user, API calls with the CSRF token, small helpers.
let me = null;

export async function requireLogin() {
  const r = await fetch("/api/me");
  if (r.status === 401) { location.href = "/login"; throw new Error("not logged in"); }
  me = await r.json();
  // the navigation offers only the pages this role may use (the server refuses the others)
  const nav = document.getElementById("nav");
  if (nav) nav.replaceChildren(...me.pages.map((pg) => {
    const a = el("a", { href: pg.route }, pg.title);
    if (pg.route === location.pathname) a.setAttribute("aria-current", "page");
    return a;
  }));
  const who = document.getElementById("who");
  if (who) who.textContent = `${me.username} (${me.role})`;
  const out = document.getElementById("logout");
  if (out) out.onclick = async () => { await api("POST", "/api/logout"); location.href = "/login"; };
  fitHeader();
  return me;
}

// The header's layouts, most complete first (style.css): the first whose row fits is used.
const HEADER_FITS = [[], ["no-brand"], ["compact"], ["compact", "no-brand"], ["compact", "no-brand", "wrap"]];
const HEADER_CLASSES = [...new Set(HEADER_FITS.flat())];

// One row, nothing squeezed or wrapped: a line of links and buttons that wrapped its words at
// 1024 px (the admin's station page) made the header two and three lines tall. Measured, not
// set per width, so a long user name, a role with more pages or a larger font still fit.
// Called when the header's contents are made and when its width changes; nothing else moves it.
export function fitHeader() {
  const header = document.querySelector("header");
  if (!header) return;
  for (const fit of HEADER_FITS) {
    header.classList.remove(...HEADER_CLASSES);
    header.classList.add(...fit);
    if (header.scrollWidth <= header.clientWidth) break;
  }
  const menu = document.getElementById("menu");
  if (menu && !header.classList.contains("compact") && menu.matches(":popover-open")) menu.hidePopover();
}

{
  const header = document.querySelector("header");
  let width = -1;
  if (header) new ResizeObserver(() => {
    if (header.clientWidth !== width) { width = header.clientWidth; fitHeader(); }
  }).observe(header);
  document.fonts?.ready.then(fitHeader);  // a web font that comes late changes the widths
}

export async function api(method, path, body, signal) {
  const opts = { method, headers: {} };
  if (signal) opts.signal = signal;
  if (method !== "GET") opts.headers["X-CSRF-Token"] = me ? me.csrf : "";
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const r = await fetch(path, opts);
  if (r.status === 401) { location.href = "/login"; }
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (data && Array.isArray(data.detail)) data.detail = data.detail.map((d) => `${d.loc.slice(-1)[0]}: ${d.msg}`).join('; ');
  return { ok: r.ok, status: r.status, data };
}

// A page's periodic refresh, one request in flight at a time. With a fixed interval a slow
// server (a loaded machine) piles polls up in the browser's six connections per host, and a
// control press, the emergency stop included, then waits behind all of them. Calling the
// returned function asks for a refresh now; during one in flight it runs once more after it.
// Each refresh gets a signal that gives its request up after POLL_LIMIT_MS: one request that
// never got an answer (a stalled server, a half-open connection) used to stop the page's
// refreshes for good, and the page went on showing an old state as if it were current.
// The inputs' bounds from the server's one list of ranges (GET /api/limits): `inputs` maps an
// input's id to the name of its range; a page never offers what the station or store refuses.
export async function applyLimits(inputs) {
  const r = await api("GET", "/api/limits");
  if (!r.ok) return null;
  for (const [id, name] of Object.entries(inputs)) {
    const input = document.getElementById(id), range = r.data[name];
    if (!input || !range) continue;
    input.min = String(range.low); input.max = String(range.high);
    const shown = document.querySelector(`[data-range-for="${id}"]`);
    if (shown) shown.textContent = `(${range.low}–${range.high})`;
  }
  return r.data;
}

export const POLL_LIMIT_MS = 8000;
export function poller(fn, periodMs) {
  let running = false, again = false, timer = null;
  async function run() {
    clearTimeout(timer);
    if (running) { again = true; return; }
    running = true;
    try { await fn(AbortSignal.timeout(POLL_LIMIT_MS)); } catch (e) { console.error(e); } finally { running = false; }
    if (again) { again = false; return run(); }
    timer = setTimeout(run, periodMs);
  }
  return run;
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e[k] = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

export function fmtTime(s) {
  s = Math.max(0, Math.floor(s || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function fmt(v, digits = 0, unit = "") {
  return v === null || v === undefined ? "–" : `${Number(v).toFixed(digits)}${unit}`;
}

// An event's details as a therapist reads them ("change guidance, value 0.75, timing ramp"),
// not as JSON: names without underscores, numbers to at most 3 decimals, lists joined by " / ",
// nested details in parentheses; empty values are left out.
export function detailsText(details) {
  const value = (v) => {
    if (v === null || v === undefined || v === "") return null;
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(3)));
    if (Array.isArray(v)) return v.map((x) => value(x) ?? "–").join(" / ");
    if (typeof v === "object") { const t = detailsText(v); return t ? `(${t})` : null; }
    return String(v);
  };
  return Object.entries(details || {})
    .map(([k, v]) => [k.replaceAll("_", " "), value(v)])
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

// Opens a station's live stream; calls onFrames(frames) for each batch; reconnects.
export function stream(stationId, onFrames) {
  let ws = null, closed = false;
  const open = () => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/ws/stations/${encodeURIComponent(stationId)}`);
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      if (!f.length) return;
      stats.received.push(Date.now() - f[f.length - 1].ts * 1000);
      if (stats.received.length > 20000) stats.received.splice(0, 10000);
      onFrames(f);
    };
    ws.onclose = () => { if (!closed) setTimeout(open, 1000); };
  };
  open();
  return { close() { closed = true; ws.close(); } };
}

// Latency from a frame entering the live bus (its ts, server wall clock) to being drawn.
// "received": the same, up to the WebSocket message's arrival (server + network share).
export const stats = { latencies: [], received: [], frames: 0, fps: 0 };
window.gaitwayStats = stats;
export function recordDrawn(frame) {
  if (frame && frame.ts) {
    stats.latencies.push(Date.now() - frame.ts * 1000);
    if (stats.latencies.length > 20000) stats.latencies.splice(0, 10000);
  }
}
let fpsCount = 0, fpsT0 = performance.now();
export function countFrame() {
  stats.frames++; fpsCount++;
  const now = performance.now();
  if (now - fpsT0 >= 1000) { stats.fps = fpsCount * 1000 / (now - fpsT0); fpsCount = 0; fpsT0 = now; }
}

// Draws traces (deg) over the last windowS seconds: series = [{data:[[t,v]], color, dash}].
export function drawTraces(canvas, series, { windowS = 5, min = -20, max = 70, label = "" } = {}) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
  ctx.strokeStyle = "#e3e6ea"; ctx.lineWidth = 1; ctx.fillStyle = "#667"; ctx.font = "11px sans-serif";
  for (let v = Math.ceil(min / 20) * 20; v <= max; v += 20) {
    const y = h - (v - min) / (max - min) * h;
    ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
    ctx.fillText(`${v}°`, 2, y - 2);
  }
  if (label) { ctx.fillStyle = "#223"; ctx.font = "bold 12px sans-serif"; ctx.fillText(label, 40, 14); }
  let tEnd = 0;
  for (const s of series) if (s.data.length) tEnd = Math.max(tEnd, s.data[s.data.length - 1][0]);
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = s.width || 2; ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let first = true;
    for (const [t, v] of s.data) {
      if (t < tEnd - windowS) continue;
      const x = w - (tEnd - t) / windowS * w, y = h - (v - min) / (max - min) * h;
      if (first) { ctx.moveTo(x, y); first = false; } else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

// Fault alerts: one line each (kind, reaction, time, safe state), and a beep for new ones.
// The alarm's sound is unlocked by the login click (or the first click or key on a page opened
// without one: browsers keep audio off until then), so the first fault sounds; until it is
// unlocked a notice says so, and every fault is always shown on screen as well.
const heard = new Set();
let audio = null;
export const alarm = { beeps: 0, state: () => (audio ? audio.state : "none") };
window.gaitwayAlarm = alarm;

// The notice sits in a slot of fixed size in the page's header (style.css .alarm-status): the
// first press on a page turns the sound on, and a notice that left the page's flow then moved
// everything under the pointer between its going down and coming up, losing that very press
// (hazard H31). Now only the slot's words change.
function alarmNotice() {
  let slot = document.getElementById("alarm-status");
  if (!slot) {
    slot = el("span", { id: "alarm-status", class: "alarm-status", role: "status" },
      el("span", { id: "alarm-sound" }),
      el("span", { id: "alarm-off", class: "alarm-off" }, "Alarm sound off until you click or press a key. ",
        el("button", { type: "button", id: "alarm-on" }, "Turn on")));
    const header = document.querySelector("header");
    if (!header) return;
    header.insertBefore(slot, document.getElementById("estop"));  // at the end when the page has none
    fitHeader();
  }
  const off = !!audio && audio.state !== "running";
  document.getElementById("alarm-off").hidden = !off;
  const sound = document.getElementById("alarm-sound");
  sound.hidden = off;
  sound.textContent = audio ? "Alarm sound on" : "No alarm sound (no audio device): faults show on screen";
}

export function unlockAlarm() {
  try {
    audio = audio || new AudioContext();
    if (audio.state !== "running") audio.resume().catch(() => {});
  } catch (e) { audio = null; /* no audio device: faults are still shown */ }
}

// Called by pages with alarms: make the context now (running when the login click carried
// over), and resume it on the first gesture otherwise.
export function armAlarm() {
  unlockAlarm();
  alarmNotice();  // the header slot made now, at load: a first fault must not insert it (H31)
  if (!audio) return;
  audio.onstatechange = alarmNotice;
  const onGesture = () => { unlockAlarm(); if (audio && audio.state === "running") {
    removeEventListener("pointerdown", onGesture, true); removeEventListener("keydown", onGesture, true); } };
  addEventListener("pointerdown", onGesture, true);
  addEventListener("keydown", onGesture, true);
  alarmNotice();
}

export function alertLine(a) {
  const safe = a.safe_state_at_s === null || a.safe_state_at_s === undefined ? "safe state not yet confirmed"
    : `safe state at ${Number(a.safe_state_at_s).toFixed(2)} s`;
  return `FAULT ${a.kind}: ${String(a.reaction).replace("_", " ")} at ${fmt(a.t, 2)} s (${new Date(a.at * 1000).toLocaleTimeString()}); ${safe}. ${a.detail || ""}`;
}
export function beepForNew(alerts) {
  let fresh = false;
  for (const a of alerts) { const k = `${a.id}:${a.at}`; if (!heard.has(k)) { heard.add(k); fresh = true; } }
  if (!fresh) return;
  if (!audio) unlockAlarm();
  if (!audio || audio.state !== "running") { alarmNotice(); return; }
  alarm.beeps++;
  for (const [i, f] of [[0, 880], [1, 660], [2, 880]]) {
    const o = audio.createOscillator(), g = audio.createGain();
    o.frequency.value = f; g.gain.value = 0.2; o.connect(g); g.connect(audio.destination);
    o.start(audio.currentTime + i * 0.25); o.stop(audio.currentTime + i * 0.25 + 0.2);
  }
}
