// Patient view: effort per leg (active participation), a step counter, and a walk through a park
// that moves faster the more the patient works with the robot.
import { requireLogin, api, stream, recordDrawn, countFrame } from "/static/common.js";

const $ = (x) => document.getElementById(x);
let last = null, dirty = false, pos = 0, tPrev = performance.now();
const trees = Array.from({ length: 14 }, (_, i) => ({ x: i * 160 + Math.random() * 80, side: i % 2, s: 0.7 + Math.random() * 0.6 }));

function park(effort, speedKmh) {
  const c = $("park"), g = c.getContext("2d"), w = c.width, h = c.height;
  const now = performance.now(), dt = (now - tPrev) / 1000; tPrev = now;
  pos += dt * 60 * (speedKmh / 2) * (0.4 + effort / 100);
  g.fillStyle = "#8fd3ff"; g.fillRect(0, 0, w, h * 0.45);
  g.fillStyle = "#5cb85c"; g.fillRect(0, h * 0.45, w, h * 0.55);
  g.fillStyle = "#d9c08c"; g.beginPath(); g.moveTo(w * 0.45, h * 0.45); g.lineTo(w * 0.55, h * 0.45);
  g.lineTo(w * 0.95, h); g.lineTo(w * 0.05, h); g.fill();
  g.fillStyle = "#fff6a0"; g.beginPath(); g.arc(w * 0.85, h * 0.12, 30, 0, 7); g.fill();
  for (const t of trees) {
    const d = ((t.x - pos) % 2240 + 2240) % 2240 / 2240;      // 0 far ... 1 near
    const y = h * 0.45 + d * d * h * 0.55, sc = 0.2 + d * 1.6 * t.s;
    const x = t.side ? w * 0.58 + d * w * 0.4 : w * 0.42 - d * w * 0.4;
    g.fillStyle = "#6d4c41"; g.fillRect(x - 4 * sc, y - 40 * sc, 8 * sc, 40 * sc);
    g.fillStyle = "#2e7d32"; g.beginPath(); g.arc(x, y - 55 * sc, 28 * sc, 0, 7); g.fill();
  }
}

function frame() {
  countFrame();
  const eff = last ? last.active_participation_pct.map((e) => e ?? 0) : [0, 0];
  park((eff[0] + eff[1]) / 2, last ? last.speed_kmh : 0);
  if (dirty && last) {
    dirty = false;
    $("effL").style.height = `${eff[0]}%`; $("effR").style.height = `${eff[1]}%`;
    $("effL_v").textContent = `${Math.round(eff[0])} %`; $("effR_v").textContent = `${Math.round(eff[1])} %`;
    $("steps").textContent = last.steps; $("state").textContent = last.state.replace("_", " ");
    const m = Math.min(eff[0], eff[1]);
    $("cheer").textContent = m >= 60 ? "Great work – you are leading the steps!" : m >= 45 ? "Good – keep pushing with both legs." : "Try to move your legs with the robot.";
    recordDrawn(last);
  }
  requestAnimationFrame(frame);
}

await requireLogin();
const r = await api("GET", "/api/stations");
if (r.ok && r.data.length) {
  stream(r.data[0].id, (frames) => { last = frames[frames.length - 1]; dirty = true; });
} else {
  $("cheer").textContent = "You are not on a station right now.";
}
requestAnimationFrame(frame);
