// Overview: every station this user supervises, live (state, patient, time, steps, effort, alerts).
import { requireLogin, api, el, fmt, fmtTime, stream, drawTraces, recordDrawn, countFrame, alertLine, beepForNew, armAlarm, poller } from "/static/common.js";

const tiles = new Map();

function tile(s) {
  const canvas = el("canvas", { width: 320, height: 90, class: "mini" });
  const t = {
    root: el("div", { class: "tile", "data-station": s.id }),
    state: el("span", { class: "state" }), elapsed: el("span"), steps: el("span", { class: "steps" }),
    effL: el("div"), effR: el("div"), effLv: el("span"), effRv: el("span"), guidance: el("span"), behind: el("span", { class: "behind" }),
    alerts: el("div"), canvas,
    knee: [], ref: [], last: null, dirty: false,
  };
  t.root.append(
    el("h2", {}, el("a", { href: `/station?id=${encodeURIComponent(s.id)}` }, s.name), " ",
       s.simulated ? el("span", { class: "sim" }, "SIMULATED") : "",
       s.transport === "replay" ? el("span", { class: "sim replay" }, "REPLAY") : ""),
    el("div", { class: "kv" },
      "Patient", el("span", {}, s.patient), "State", t.state, "Elapsed", t.elapsed, "Steps", t.steps,
      "Guidance", t.guidance, "Simulated time behind", t.behind,
      "Active participation L", el("div", { class: "barrow" }, el("div", { class: "bar" }, t.effL), t.effLv),
      "Active participation R", el("div", { class: "barrow" }, el("div", { class: "bar" }, t.effR), t.effRv)),
    canvas, t.alerts);
  document.getElementById("stations").append(t.root);
  t.sub = stream(s.id, (frames) => {
    for (const f of frames) { t.knee.push([f.t, f.q[2]]); t.ref.push([f.t, f.ref[2]]); }
    if (t.knee.length > 600) { t.knee.splice(0, 300); t.ref.splice(0, 300); }
    t.last = frames[frames.length - 1]; t.dirty = true;
  });
  return t;
}

function show(t, s) {
  t.state.textContent = s.state; t.elapsed.textContent = fmtTime(s.elapsed_s);
  t.root.classList.toggle("faulted", s.alerts.length > 0);
  t.steps.textContent = s.steps; t.guidance.textContent = fmt(s.guidance_pct, 0, " %");
  t.behind.textContent = fmt(s.behind_s ?? 0, 1, " s");
  t.effL.style.width = `${s.active_participation_pct[0] ?? 0}%`; t.effR.style.width = `${s.active_participation_pct[1] ?? 0}%`;
  t.effLv.textContent = fmt(s.active_participation_pct[0], 0, " %"); t.effRv.textContent = fmt(s.active_participation_pct[1], 0, " %");
  t.alerts.replaceChildren(...s.alerts.map((a) => el("div", { class: "alert" }, alertLine(a))));
  beepForNew(s.alerts);
}

async function refresh(signal) {
  const r = await api("GET", "/api/stations", undefined, signal);
  if (!r.ok) return;
  for (const s of r.data) {
    if (!tiles.has(s.id)) tiles.set(s.id, tile(s));
    tiles.get(s.id).status = s;
    show(tiles.get(s.id), s);
  }
}

function frame() {
  countFrame();
  for (const t of tiles.values()) {
    if (!t.dirty) continue;
    t.dirty = false;
    const f = t.last;
    t.state.textContent = f.state; t.elapsed.textContent = fmtTime(f.elapsed_s ?? f.t); t.steps.textContent = f.steps;
    if (f.safety && f.safety !== "running") t.root.classList.add("faulted");
    t.guidance.textContent = fmt(f.guidance_pct, 0, " %"); t.behind.textContent = fmt(f.behind_s ?? 0, 1, " s");
    drawTraces(t.canvas, [{ data: t.ref, color: "#9aa5b1", dash: [5, 4] }, { data: t.knee, color: "#1565c0" }],
               { min: -10, max: 70, label: "knee L vs reference" });
    recordDrawn(f);
  }
  requestAnimationFrame(frame);
}

await requireLogin();
armAlarm();
await poller(refresh, 1000)();
requestAnimationFrame(frame);
