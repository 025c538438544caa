// Station view: live traces, per-stride metrics, bars, controls and the event log of one station.
import { requireLogin, api, el, fmt, fmtTime, detailsText, stream, drawTraces, recordDrawn, countFrame, alertLine, beepForNew, armAlarm, poller, applyLimits } from "/static/common.js";
import { symmetryWords, weightWords } from "/static/words.js";

const id = new URLSearchParams(location.search).get("id");
const $ = (x) => document.getElementById(x);
const hist = { hipL: [], hipR: [], kneeL: [], kneeR: [], rhipL: [], rhipR: [], rkneeL: [], rkneeR: [] };
let last = null, dirty = false, touched = new Set();

function pushFrames(frames) {
  for (const f of frames) {
    hist.hipL.push([f.t, f.q[0]]); hist.hipR.push([f.t, f.q[1]]);
    hist.kneeL.push([f.t, f.q[2]]); hist.kneeR.push([f.t, f.q[3]]);
    hist.rhipL.push([f.t, f.ref[0]]); hist.rhipR.push([f.t, f.ref[1]]);
    hist.rkneeL.push([f.t, f.ref[2]]); hist.rkneeR.push([f.t, f.ref[3]]);
  }
  if (hist.hipL.length > 800) for (const k in hist) hist[k].splice(0, 400);
  last = frames[frames.length - 1]; dirty = true;
}

function showNumbers(s) {
  $("state").textContent = s.state; $("elapsed").textContent = fmtTime(s.elapsed_s);
  if (s.safety && typeof s.safety === "string" && s.safety !== "running" && $("faultbar").hidden) {
    $("faultbar").hidden = false; $("faultbar").textContent = `SAFETY STOP: ${s.safety.replace("_", " ")}`; showSlot(); refreshSoon();
  }
  $("steps").textContent = s.steps; $("guidance_now").textContent = fmt(s.guidance_pct, 0, " %");
  $("bws_now").textContent = fmt(s.bws_pct, 0, " %"); $("speed_now").textContent = fmt(s.speed_kmh, 1, " km/h");
  $("controller_now").textContent = s.controller;
  const rom = s.rom_scale || [null, null];
  $("rom_hip_now").textContent = fmt(rom[0], 2); $("rom_knee_now").textContent = fmt(rom[1], 2);
  // the cell keeps its place when empty (visibility, not display): nothing below it moves (H31)
  $("behind").style.visibility = s.slips > 0 ? "visible" : "hidden"; $("behind").setAttribute("aria-hidden", String(!(s.slips > 0)));
  if (s.slips > 0) { $("behind_s").textContent = fmt(s.behind_s, 1, " s"); $("slips").textContent = s.slips; }
  const active = controllers[s.controller];
  $("controller_now").title = active ? `${active.description}; the console may set: ${active.console_changes.join(", ") || "nothing controller-specific"}` : "";
  $("symmetry").textContent = symmetryWords(s.symmetry_pct, s.state);
  const wb = s.weight_bearing_pct || [null, null], eff = s.active_participation_pct || [null, null];
  $("wb_words").textContent = weightWords(wb);
  for (const [k, v] of [["wbL", wb[0]], ["wbR", wb[1]], ["effL", eff[0]], ["effR", eff[1]]]) {
    $(k).style.width = `${v ?? 0}%`; $(`${k}_v`).textContent = fmt(v, 0, " %");
  }
  for (const [k, key, d] of [["guidance", "guidance_pct", 0], ["bws", "bws_pct", 0], ["speed", "speed_kmh", 1]]) {
    if (!touched.has(k) && s[key] !== undefined && s[key] !== null) { $(k).value = s[key]; $(`${k}_v`).textContent = Number(s[key]).toFixed(d); }
  }
  for (const [k, v] of [["rom_hip", rom[0]], ["rom_knee", rom[1]]]) {
    if (!touched.has(k) && v !== null && v !== undefined) { $(k).value = v; $(`${k}_v`).textContent = Number(v).toFixed(2); }
  }
}

function draw() {
  countFrame();
  if (dirty && last) {
    dirty = false;
    drawTraces($("hip"), [
      { data: hist.rhipL, color: "#1565c0", dash: [6, 4], width: 1.5 }, { data: hist.rhipR, color: "#ef6c00", dash: [6, 4], width: 1.5 },
      { data: hist.hipL, color: "#1565c0" }, { data: hist.hipR, color: "#ef6c00" }], { min: -30, max: 50, label: "hip flexion" });
    drawTraces($("knee"), [
      { data: hist.rkneeL, color: "#1565c0", dash: [6, 4], width: 1.5 }, { data: hist.rkneeR, color: "#ef6c00", dash: [6, 4], width: 1.5 },
      { data: hist.kneeL, color: "#1565c0" }, { data: hist.kneeR, color: "#ef6c00" }], { min: -10, max: 80, label: "knee flexion" });
    showNumbers(last);
    recordDrawn(last);
  }
  requestAnimationFrame(draw);
}

// Buttons follow the station's state: each is enabled only when its action is possible, and a
// disabled one says why (its title). The emergency stop is never disabled.
const WALKING_STATES = new Set(["warm_up", "training", "cool_down"]);
function buttonStates(s) {
  const running = !!s.running, fault = s.alerts.length > 0, holding = !!(s.safety && s.safety.holding);
  const settable = running && !fault && !holding;
  const why = { idle: "no session is running", fault: "acknowledge the fault first" };
  return {
    start: [!running && !fault, running ? "a session is running" : why.fault],
    pause: [running && WALKING_STATES.has(s.state) && !fault, running ? `the session is ${s.state}` : why.idle],
    resume: [running && s.state === "paused" && !fault, fault ? why.fault : running ? "the session is not paused" : why.idle],
    stop: [running, why.idle],
    acknowledge: [fault, "there is no fault to acknowledge"],
    set_guidance: [settable, running ? why.fault : why.idle], set_bws: [settable, running ? why.fault : why.idle],
    set_speed: [settable, running ? why.fault : why.idle], set_rom: [settable, running ? why.fault : why.idle],
    set_controller: [settable, running ? why.fault : why.idle],
    ...Object.fromEntries(CONTROLLER_SETTINGS.map(([kind]) => [`set_${kind}`, [settable, running ? why.fault : why.idle]])),
    assign: [!running && s.transport !== "replay", running ? "a session is running; stop it first" : "this station replays a recording"],
  };
}
function showButtons(s) {
  for (const [b, [ok, why]] of Object.entries(buttonStates(s))) {
    $(b).disabled = !ok;
    $(b).title = ok ? "" : `Not now: ${why}`;
  }
}

// Each controller's own settings (console change kind, its inputs, the status field of each
// input, decimals): shown while that controller runs, following the values in use.
const CONTROLLER_SETTINGS = [
  ["tunnel_width", [["tunnel_width", "tunnel_width_deg", 0]]],
  ["path_flow", [["path_flow", "path_flow_nm", 0]]],
  ["support_bounds", [["support_min", "support_min_pct", 0], ["support_max", "support_max_pct", 0]]],
  ["resistance", [["resist_damping", "resist_damping_nm_s_rad", 1], ["resist_torque", "resist_torque_nm", 1]]],
];
function showControllerSettings(s) {
  const now = s.running ? s.controller_settings : null;
  const allowed = (controllers[s.controller] || {}).console_changes || [];
  for (const [kind, inputs] of CONTROLLER_SETTINGS) {
    document.querySelector(`[data-change="${kind}"]`).hidden = !now || !allowed.includes(kind);
    if (!now) continue;
    for (const [input, field, d] of inputs) {
      if (!touched.has(input)) { $(input).value = now[field]; $(`${input}_v`).textContent = Number(now[field]).toFixed(d); }
    }
  }
}

// One read of the station in flight at a time (common.js poller). An action's answer waits
// for a read that started after the action was answered (``readAfterNow``): the poll in
// flight at that moment may have left before it.
let readsStarted = 0;
const readWaiters = [];
const refreshSoon = poller(refresh, 1000);
function readAfterNow() {
  const target = readsStarted + 1;
  const done = new Promise((resolve) => readWaiters.push([target, resolve]));
  refreshSoon();
  return done;
}
// When the station was last read (ms, Date.now()): the page says so once it is older than
// STALE_AFTER_S, so that nobody takes an old state for the station's current one.
const STALE_AFTER_S = 5;
let readAt = Date.now();
function showAge() {
  const age_s = (Date.now() - readAt) / 1000;
  $("stale").hidden = age_s < STALE_AFTER_S;
  $("stale_s").textContent = age_s.toFixed(0);
  showSlot();
}
// The fault and stale bars share one slot of fixed height (style.css .statusslot), so that
// their coming and going moves no control (H31); with neither, the slot says so once the
// station has been read.
let everRead = false;
function showSlot() {
  $("allclear").hidden = !everRead || !$("faultbar").hidden || !$("stale").hidden;
}
// Why the last read brought nothing (shown with the age): no answer at all, or an error answer
// (a station gone, a server failing), which is not the same thing to the person at the robot.
const NO_ANSWER = "the server does not answer";
async function refresh(signal) {
  const n = ++readsStarted;
  try {
    const r = await api("GET", `/api/stations/${encodeURIComponent(id)}`, undefined, signal);
    $("stale_why").textContent = r.ok ? NO_ANSWER
      : `the server answers with an error (${r.status}: ${r.data?.detail || "no detail"})`;
    showStation(r);
  } catch (e) {
    $("stale_why").textContent = NO_ANSWER;
    throw e;
  } finally {
    for (let i = readWaiters.length - 1; i >= 0; i--) if (readWaiters[i][0] <= n) readWaiters.splice(i, 1)[0][1]();
  }
}
function showStation(r) {
  if (!r.ok) { $("message").textContent = r.data?.detail || "station not available"; return; }
  readAt = Date.now(); everRead = true; showAge();
  const s = r.data;
  showButtons(s);
  $("name").textContent = s.name; $("simulated").hidden = !s.simulated; $("replay").hidden = s.transport !== "replay"; $("patient").textContent = `patient ${s.patient}`;
  if (!last || !s.running) showNumbers(s);
  showControllerSettings(s);
  $("alerts").replaceChildren(...(s.alerts.length ? s.alerts.map((a) => el("div", { class: "alert" }, alertLine(a)))
    : [el("p", { class: "note" }, "None.")]));
  beepForNew(s.alerts);
  const sf = s.safety || {};
  const bar = $("faultbar");
  bar.hidden = s.alerts.length === 0 && !sf.holding;
  if (!bar.hidden) {
    bar.textContent = s.alerts.length ? `${alertLine(s.alerts[0])}` + (sf.holding ? " The station holds its safe state: acknowledge the fault, then resume." : "")
      : "Fault acknowledged: press Resume to continue from a safe start.";
  }
  showSlot();
  $("strides").replaceChildren(...s.strides.slice(-8).reverse().map((x) => el("tr", {},
    el("td", {}, x.t), el("td", {}, x.side), el("td", {}, x.duration_s),
    el("td", {}, x.tracking_error_deg.join(" / ")), el("td", {}, fmt(x.active_participation_pct, 0)),
    el("td", {}, x.participation_nm.join(" / ")))));
  showEvents(s.events);
  $("rx-now").textContent = s.transport === "replay" ? "This station replays a recording." : s.prescription_id !== null && s.prescription_id !== undefined
    ? `The next session follows ${s.patient}'s active prescription (${s.prescription_id}), as it stands when it starts.`
    : `${s.patient} has no active prescription: the next session uses the station defaults.`;
  showLastSession(s.last_import || {});
  for (const o of $("assign-patient").options) {  // virtual patients on the twin, real ones on real stations
    o.disabled = o.dataset.simulated !== String(!!s.simulated);
    o.title = o.disabled ? (s.simulated ? "a real patient: not on a SIMULATED station" : "a virtual patient: not on a real station") : "";
  }
  if (!assignTouched && s.patient_id !== undefined) $("assign-patient").value = String(s.patient_id ?? "");
}

// Where the last session went: once it is in the clinic store, its report is one click away.
let lastShown = null;
function showLastSession(imp) {
  const key = JSON.stringify(imp);
  if (key === lastShown) return;
  lastShown = key;
  const box = $("last-session");
  // the note's lines are kept when empty (style.css): its text arriving moves no control (H31)
  if (imp.ok && imp.session_id) {
    const sid = encodeURIComponent(imp.session_id);
    box.replaceChildren("Last session stored in the patient's record: ",
      el("a", { href: `/api/sessions/${sid}/report`, target: "_blank", id: "last-report" }, "session report"), " · ",
      el("a", { href: `/api/sessions/${sid}/report.pdf`, download: "" }, "PDF"));
  } else if (imp.error) {
    box.replaceChildren(`Last session not stored: ${imp.error}`);
  } else {
    box.replaceChildren();
  }
}

// The event log, filtered by kind in the page (every kind seen so far is offered); a folded
// run of warnings stays one line.
const kinds = new Set();
let shownEvents = [];
function showEvents(events) {
  shownEvents = events;
  const before = kinds.size;
  for (const e of events) kinds.add(e.kind);
  const sel = $("event-kind");
  if (kinds.size !== before) {
    const keep = sel.value;
    sel.replaceChildren(el("option", { value: "" }, "every kind"),
      ...[...kinds].sort().map((k) => el("option", { value: k }, k)));
    sel.value = keep;
  }
  const kind = sel.value;
  $("events").replaceChildren(...events.filter((e) => !kind || e.kind === kind).reverse().map(eventLine));
}

// One line per event; a run of repeated warnings is one line: first-last time and count.
function eventLine(e) {
  const { count, first_s, last_s, ...rest } = e.details || {};
  if (count === undefined) return el("div", {}, `${fmt(e.t, 1)} s  ${e.kind}  ${e.source}  ${detailsText(e.details)}`);
  const when = count > 1 ? `${fmt(first_s, 1)}–${fmt(last_s, 1)} s` : `${fmt(first_s, 1)} s`;
  return el("div", { class: "folded" }, `${when}  ${e.kind} ×${count}  ${e.source}  ${detailsText(rest)}`);
}

// The answer is shown once the page has read the station again (its buttons, patient and
// prescription then show the result), so that "sent" never precedes what it announces. (The
// emergency stop's answer is shown at once, by pressEstop: its result is the fault bar.)
// A press is answered on the page whatever happens to its request: "sending" at once, the
// station's answer once a read after it has run, and, when the request fails (a connection
// lost on its way) or has no answer after ACT_LIMIT_MS, words that say so. Before, a failed
// request left the message empty, and nobody could tell whether the press had been taken.
const ACT_LIMIT_MS = 20000;
async function act(path, body, answer) {
  $("message").textContent = `${path} sending`;
  let r;
  try {
    r = await api("POST", `/api/stations/${encodeURIComponent(id)}/${path}`, body, AbortSignal.timeout(ACT_LIMIT_MS));
  } catch (e) {
    console.error(e);
    const why = e.name === "TimeoutError" ? `no answer within ${ACT_LIMIT_MS / 1000} s` : "the request failed on its way";
    $("message").textContent = `${path} not answered (${why}): the server may still act on it; check the station below before pressing again`;
    refreshSoon();
    return { ok: false, status: 0, data: null };
  }
  const text = r.ok ? (answer ? answer(r) : `${r.data.action} sent`) : (r.data?.detail || `failed (${r.status})`);
  await readAfterNow();
  $("message").textContent = text;
  return r;
}

// The emergency stop is sent again until the server answers: a request lost or held on its
// way (a connection the server closed, a stalled server) must not leave the press unanswered,
// and pressing twice is safe. Each try gives up after ESTOP_TRY_MS; a refusal (not logged in,
// no rights, no such station) is shown and not repeated.
const ESTOP_TRY_MS = 3000, ESTOP_TRIES = 10;
async function pressEstop() {
  $("message").textContent = "estop sending";
  for (let attempt = 1; attempt <= ESTOP_TRIES; attempt++) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ESTOP_TRY_MS);
    try {
      const r = await api("POST", `/api/stations/${encodeURIComponent(id)}/estop`, undefined, abort.signal);
      if (r.ok || r.status < 500) {
        $("message").textContent = r.ok ? "estop sent" : (r.data?.detail || `failed (${r.status})`);
        refreshSoon();
        return r;
      }
    } catch (e) {
      console.error(e);
    } finally {
      clearTimeout(timer);
    }
    $("message").textContent = `estop not answered (try ${attempt} of ${ESTOP_TRIES}): sending again; press the station's own stop button`;
  }
  $("message").textContent = "estop NOT answered: press the station's own stop button";
}

async function change(kind, value) {
  let r = await act("changes", { kind, value });
  if (r.status === 409 && r.data?.needs_confirmation) {
    if (confirm(`${r.data.detail}\n\nApply this large change?`)) r = await act("changes", { kind, value, confirmed: true });
    else $("message").textContent = "change cancelled";
  }  // any other 409 (a fault held): act() shows the station's reason
  const inputs = kind === "rom" ? ["rom_hip", "rom_knee"]
    : (CONTROLLER_SETTINGS.find(([k]) => k === kind)?.[1].map(([input]) => input) ?? [kind]);
  if (r.ok) for (const k of inputs) touched.delete(k);
}

let controllers = {};

async function loadControllers() {
  const r = await api("GET", "/api/controllers");
  if (!r.ok) return;
  const sel = $("controller");
  sel.replaceChildren(...r.data.map((c) => el("option", { value: c.name, title: c.description }, c.name)));
  controllers = Object.fromEntries(r.data.map((c) => [c.name, c]));
}

// Patients this user may put on the station (their care team's; admins: all).
let assignTouched = false;
async function loadPatients() {
  const r = await api("GET", "/api/patients");
  const opts = r.ok ? r.data.map((p) => el("option", { value: String(p.id), "data-simulated": String(!!p.simulated) },
    `${p.pseudonym}${p.simulated ? " (SIM)" : ""}`)) : [];
  $("assign-patient").replaceChildren(...opts);
}

// The stop works from the moment the page runs, before the login check and the lists below
// have answered: a slow server must not leave the red button without a handler.
$("estop").onclick = pressEstop;
await requireLogin();
armAlarm();
await applyLimits({ guidance: "guidance_pct", bws: "bws_pct", speed: "speed_kmh",
  rom_hip: "rom_scale", rom_knee: "rom_scale" });
await loadControllers();
await loadPatients();
$("assign-patient").onchange = () => { assignTouched = true; };
$("assign").onclick = async () => {
  assignTouched = false;  // the choice is sent: the station's answer shows who is on it
  await act("patient", { patient_id: Number($("assign-patient").value) }, (r) => `on this station now: ${r.data.detail}`);
};
$("event-kind").onchange = () => showEvents(shownEvents);
for (const k of ["guidance", "bws", "speed", "rom_hip", "rom_knee",
  ...CONTROLLER_SETTINGS.flatMap(([, inputs]) => inputs.map(([input]) => input))]) {
  $(k).oninput = () => { touched.add(k); $(`${k}_v`).textContent = $(k).value; };
}
$("set_guidance").onclick = () => change("guidance", Number($("guidance").value));
$("set_bws").onclick = () => change("bws", Number($("bws").value));
$("set_speed").onclick = () => change("speed", Number($("speed").value));
$("set_rom").onclick = () => change("rom", [Number($("rom_hip").value), Number($("rom_knee").value)]);
$("set_controller").onclick = () => change("controller", $("controller").value);
for (const [kind, inputs] of CONTROLLER_SETTINGS) {
  $(`set_${kind}`).onclick = () => {
    const values = inputs.map(([input]) => Number($(input).value));
    return change(kind, values.length === 1 ? values[0] : values);
  };
}
for (const a of ["start", "pause", "resume", "stop", "acknowledge"]) $(a).onclick = () => act(a);
await refreshSoon();
setInterval(showAge, 500);
stream(id, pushFrames);
requestAnimationFrame(draw);
