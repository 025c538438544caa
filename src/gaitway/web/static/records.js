// Patients (of the care team; admins: all): search, add, edit; and each one's prescriptions,
// session history, reports and progress page.
import { requireLogin, api, el, fmt, applyLimits } from "/static/common.js";
const $ = (x) => document.getElementById(x);
const FIELDS = ["sex", "birth_year", "height_m", "body_mass_kg", "diagnosis", "affected_side"];
const NUMBERS = new Set(["birth_year", "height_m", "body_mass_kg"]);
let selected = null;
// The buttons act only once the page has attached what they do (the module awaits the login
// and the lists first); until then they are disabled and say so, never a silent native submit.
let ready = false;
function enable() {
  const set = (b, ok, why) => { $(b).disabled = !ok; $(b).title = ok ? "" : `Not now: ${why}`; };
  const why = ready ? "select a patient first" : "the page is loading";
  set("patient-new", ready, "the page is loading");
  set("patient-add", ready && !selected, ready ? "press New patient first" : why);
  set("patient-save", ready && !!selected, why);
  set("rx-save", ready && !!selected, why);
  set("propose", ready && !!selected, why);
}
const RX_FIELDS = ["duration_min", "speed_kmh", "guidance_pct", "bws_pct", "hip_rom_scale", "knee_rom_scale", "controller"];
const RX_DEFAULTS = { duration_min: 30, speed_kmh: 1.8, guidance_pct: 80, bws_pct: 30, hip_rom_scale: 1, knee_rom_scale: 1, controller: "guidance" };

function say(r, done, box = "patient-message") {
  $(box).textContent = r.ok ? done : (r.data?.detail || `failed (${r.status})`);
  $(box).className = r.ok ? "ok" : "error";
  return r.ok;
}

// A message says "done" only once the page shows the result: a user (or a test) who types
// into the form after seeing it must not have the refresh overwrite what they typed.
function busy(box, text) { $(box).textContent = text; $(box).className = ""; }

function formBody() {
  const body = {};
  for (const f of FIELDS) {
    const v = $(`f-${f}`).value.trim();
    body[f] = v === "" ? null : NUMBERS.has(f) ? Number(v) : v;
  }
  return body;
}

function fillForm(p) {
  selected = p;
  $("form-title").textContent = p ? `Edit ${p.pseudonym}` : "Add a patient";
  $("f-pseudonym").value = p ? p.pseudonym : ""; $("f-pseudonym").disabled = !!p;
  for (const f of FIELDS) $(`f-${f}`).value = p && p[f] !== null && p[f] !== undefined ? p[f] : "";
  $("f-simulated").checked = !!(p && p.simulated); $("f-simulated").disabled = !!p;  // fixed once made
  enable();
}

async function show(id, proposalMessage) {
  const r = await api("GET", `/api/patients/${id}`);
  if (!r.ok) return;
  const p = r.data;
  fillForm(p);
  $("ptitle").textContent = `${p.pseudonym}${p.simulated ? " (SIMULATED)" : ""} – ${p.diagnosis ?? ""}`;
  $("pteam").textContent = `Care team: ${(p.care_team || []).join(", ") || "nobody yet"}`;
  for (const b of ["team-add", "team-remove"]) $(b).disabled = false;
  $("pprogress").replaceChildren(el("a", { href: `/progress?patient=${p.id}` }, `Progress of ${p.pseudonym}`));
  $("prescriptions").replaceChildren(...p.prescriptions.slice().reverse().map((x) => el("tr", { class: x.active ? "active-rx" : "" },
    el("td", {}, x.created_at.slice(0, 16).replace("T", " ")), el("td", {}, x.active ? "active" : ""), el("td", {}, x.duration_min),
    el("td", {}, x.speed_kmh), el("td", {}, x.guidance_pct), el("td", {}, x.bws_pct),
    el("td", {}, `${x.hip_rom_scale} / ${x.knee_rom_scale}`), el("td", {}, x.controller))));
  // the form starts from the active prescription (editing is writing a new one), else defaults
  const act = p.prescriptions.find((x) => x.active) || RX_DEFAULTS;
  for (const f of RX_FIELDS) $(`rx-${f}`).value = act[f];
  if (!$("rx-controller").value) $("rx-controller").value = RX_DEFAULTS.controller;  // an old, unregistered name
  $("sessions").replaceChildren(...p.sessions.slice().reverse().map((s) => el("tr", {}, el("td", {}, s.started_at.slice(0, 10)),
    el("td", {}, s.status), el("td", {}, fmt(s.duration_s / 60, 1)), el("td", {}, s.steps), el("td", {}, fmt(s.guidance_pct)),
    el("td", {}, fmt(s.bws_pct)), el("td", {}, el("a", { href: `/api/sessions/${s.id}/report`, target: "_blank" }, "report"), " ",
    el("a", { href: `/api/sessions/${s.id}/report.pdf`, download: "" }, "PDF")))));
  await showProposals(p.id, proposalMessage);
}

// the editable values of a proposal and their bounds (the store's prescription bounds)
// (the bounds: the server's ranges, GET /api/limits, under the same names)
const EDITS = [["duration_min", "Minutes", 1], ["speed_kmh", "Speed km/h", 0.1],
  ["guidance_pct", "Guidance %", 5], ["bws_pct", "Body-weight support %", 5]];
let LIMITS = null;

function twinLine(c) {
  if (!c) return "no twin check recorded";
  return `${c.label || "SIMULATED check on the patient's twin"}: ${c.completed ? "completed" : "did not complete"}, ended by ${c.ended_by}, ${fmt(c.duration_s, 0)} s, ${c.strides} strides (profile ${c.profile})`;
}

function proposalCard(x) {
  const s = x.settings;
  const box = el("div", { class: `proposal ${x.status}`, id: `proposal-${x.id}` },
    el("h3", {}, `Proposal ${x.id} – ${x.status}`),
    el("p", {}, `${s.duration_min} min, ${s.speed_kmh} km/h, guidance ${s.guidance_pct} %, BWS ${s.bws_pct} %, ${s.controller}` +
      (x.prescription_id ? ` (became prescription ${x.prescription_id})` : "")),
    el("ul", { class: "reasons" }, ...x.reasons.map((r) => el("li", {}, r))),
    el("p", { class: "twin" }, twinLine(x.twin_check)));
  if (x.status !== "pending") return box;
  const form = el("form", { class: "form rx decide", "aria-label": `decide proposal ${x.id}` });
  for (const [f, label, step] of EDITS) {
    const r = LIMITS?.[f], bounds = r ? { min: r.low, max: r.high } : {};
    form.append(el("label", {}, r ? `${label} (${r.low}–${r.high})` : label,
      el("input", { id: `p${x.id}-${f}`, type: "number", ...bounds, step, value: s[f], required: "" })));
  }
  form.append(el("label", {}, "Note", el("input", { id: `p${x.id}-note`, maxlength: 500 })));
  const msg = el("p", { role: "status", class: "decision-message" });
  const decide = async (verb) => {
    const note = form.querySelector(`#p${x.id}-note`).value.trim() || null;
    let body = { note };
    if (verb === "approve") {
      if (!form.reportValidity()) return;
      for (const [f] of EDITS) {
        const v = Number(form.querySelector(`#p${x.id}-${f}`).value);
        if (v !== s[f]) body[f] = v;  // only what the therapist changed is an edit
      }
    }
    msg.textContent = "saving…"; msg.className = "decision-message";
    const r = await api("POST", `/api/proposals/${x.id}/${verb}`, body);
    if (r.ok) {  // the page's message, once the prescriptions and proposals show the decision
      await show(selected.id, verb === "approve" ? `approved: prescription ${r.data.prescription_id} is the active one` : "rejected");
      return;
    }
    msg.textContent = r.data?.detail || `failed (${r.status})`;
    msg.className = "decision-message error";
  };
  form.onsubmit = (ev) => { ev.preventDefault(); decide("approve"); };
  form.append(el("button", { type: "submit", id: `approve-${x.id}` }, "Approve (with the values above)"),
    el("button", { type: "button", id: `reject-${x.id}`, onclick: () => decide("reject") }, "Reject"), msg);
  box.append(form);
  return box;
}

async function showProposals(id, message) {
  const r = await api("GET", `/api/patients/${id}/proposals`);
  if (!r.ok) $("proposals").replaceChildren(el("p", {}, r.data?.detail || `proposals unavailable (${r.status})`));
  else {
    const shown = r.data.slice(0, 5);
    $("proposals").replaceChildren(...(shown.length ? shown.map(proposalCard) : [el("p", {}, "No proposals yet.")]));
  }
  $("proposal-message").textContent = message || "";  // said once the cards show it
  enable();
}

async function list() {
  const q = $("search").value.trim();
  const r = await api("GET", `/api/patients${q ? `?q=${encodeURIComponent(q)}` : ""}`);
  if (!r.ok) return;
  if (!r.data.length) {
    $("patients").replaceChildren(el("tr", {}, el("td", {}, q ? "No patient matches." : "No patients on your care team yet; an admin assigns them.")));
    return;
  }
  $("patients").replaceChildren(...r.data.map((p) => el("tr", {}, el("td", {},
    el("a", { href: "#", onclick: (e) => { e.preventDefault(); show(p.id); } }, p.pseudonym, p.simulated ? " (SIM)" : "")))));
}

fillForm(null);  // before any await: the form is ready as soon as the page is
// the fields come disabled in the page: nothing typed before this script ran is wiped here
for (const f of FIELDS) $(`f-${f}`).disabled = false;
const me = await requireLogin();
LIMITS = await applyLimits({ "rx-duration_min": "duration_min", "rx-speed_kmh": "speed_kmh",
  "rx-guidance_pct": "guidance_pct", "rx-bws_pct": "bws_pct", "rx-hip_rom_scale": "rom_scale",
  "rx-knee_rom_scale": "rom_scale" });
await list();
const ctl = await api("GET", "/api/controllers");
if (ctl.ok) $("rx-controller").replaceChildren(...ctl.data.map((c) => el("option", { value: c.name, title: c.description }, c.name)));
$("rx-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = Object.fromEntries(RX_FIELDS.map((f) => [f, f === "controller" ? $(`rx-${f}`).value : Number($(`rx-${f}`).value)]));
  busy("rx-message", "saving…");
  const r = await api("POST", `/api/patients/${selected.id}/prescriptions`, body);
  if (r.ok) await show(selected.id);
  say(r, "prescription saved; it is the active one", "rx-message");
};
if (me.role === "admin") {  // admins put therapists on a patient's care team here too
  const u = await api("GET", "/api/admin/users");
  const names = u.ok ? u.data.filter((x) => x.role === "therapist").map((x) => x.username) : [];
  $("team-therapist").replaceChildren(...names.map((n) => el("option", { value: n }, n)));
  $("team-edit").hidden = false;
  for (const [b, remove] of [["team-add", false], ["team-remove", true]]) {
    $(b).onclick = async () => {
      busy("patient-message", "saving…");
      const r = await api("POST", "/api/admin/care-team", { patient_id: selected.id, username: $("team-therapist").value, remove });
      if (r.ok) await show(selected.id);
      say(r, remove ? "taken off the care team" : "added to the care team");
    };
  }
}
$("propose").onclick = async () => {
  $("propose").disabled = true;
  $("proposal-message").textContent = "checking the proposal on the patient's twin…";
  const r = await api("POST", `/api/patients/${selected.id}/proposals`);
  await showProposals(selected.id, r.ok ? r.data.message : (r.data?.detail || `failed (${r.status})`));
};
let timer = null;
$("search").oninput = () => { clearTimeout(timer); timer = setTimeout(list, 200); };
$("patient-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = formBody();
  const pseudonym = $("f-pseudonym").value.trim();
  if (pseudonym) body.pseudonym = pseudonym;
  body.simulated = $("f-simulated").checked;
  busy("patient-message", "adding…");
  const r = await api("POST", "/api/patients", body);
  if (r.ok) { await list(); await show(r.data.id); }
  say(r, `${r.data?.pseudonym} added`);
};
$("patient-save").onclick = async () => {
  busy("patient-message", "saving…");
  const r = await api("PATCH", `/api/patients/${selected.id}`, formBody());
  if (r.ok) { await list(); await show(selected.id); }
  say(r, "saved");
};
$("patient-new").onclick = () => { fillForm(null); $("patient-message").textContent = ""; };
ready = true;
enable();
