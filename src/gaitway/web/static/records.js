// Patients (of the care team; admins: all): search, add, edit; and each one's prescriptions,
// session history, reports and progress page.
import { requireLogin, api, el, fmt } from "/static/common.js";
const $ = (x) => document.getElementById(x);
const FIELDS = ["sex", "birth_year", "height_m", "body_mass_kg", "diagnosis", "affected_side"];
const NUMBERS = new Set(["birth_year", "height_m", "body_mass_kg"]);
let selected = null;

function say(r, done) {
  $("patient-message").textContent = r.ok ? done : (r.data?.detail || `failed (${r.status})`);
  $("patient-message").className = r.ok ? "ok" : "error";
  return r.ok;
}

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
  $("patient-save").disabled = !p; $("patient-save").title = p ? "" : "Not now: select a patient first";
  $("patient-add").disabled = !!p; $("patient-add").title = p ? "Not now: press New patient first" : "";
}

async function show(id) {
  const r = await api("GET", `/api/patients/${id}`);
  if (!r.ok) return;
  const p = r.data;
  fillForm(p);
  $("ptitle").textContent = `${p.pseudonym}${p.simulated ? " (SIMULATED)" : ""} – ${p.diagnosis ?? ""}`;
  $("pteam").textContent = `Care team: ${(p.care_team || []).join(", ") || "nobody yet"}`;
  for (const b of ["team-add", "team-remove"]) $(b).disabled = false;
  $("pprogress").replaceChildren(el("a", { href: `/progress?patient=${p.id}` }, `Progress of ${p.pseudonym}`));
  $("prescriptions").replaceChildren(...p.prescriptions.map((x) => el("tr", {}, el("td", {}, x.created_at.slice(0, 10)),
    el("td", {}, x.active ? "yes" : ""), el("td", {}, x.duration_min), el("td", {}, x.speed_kmh), el("td", {}, x.guidance_pct),
    el("td", {}, x.bws_pct), el("td", {}, x.controller))));
  $("sessions").replaceChildren(...p.sessions.slice().reverse().map((s) => el("tr", {}, el("td", {}, s.started_at.slice(0, 10)),
    el("td", {}, s.status), el("td", {}, fmt(s.duration_s / 60, 1)), el("td", {}, s.steps), el("td", {}, fmt(s.guidance_pct)),
    el("td", {}, fmt(s.bws_pct)), el("td", {}, el("a", { href: `/api/sessions/${s.id}/report`, target: "_blank" }, "report")))));
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
const me = await requireLogin();
await list();
if (me.role === "admin") {  // admins put therapists on a patient's care team here too
  const u = await api("GET", "/api/admin/users");
  const names = u.ok ? u.data.filter((x) => x.role === "therapist").map((x) => x.username) : [];
  $("team-therapist").replaceChildren(...names.map((n) => el("option", { value: n }, n)));
  $("team-edit").hidden = false;
  for (const [b, remove] of [["team-add", false], ["team-remove", true]]) {
    $(b).onclick = async () => {
      const r = await api("POST", "/api/admin/care-team", { patient_id: selected.id, username: $("team-therapist").value, remove });
      if (say(r, remove ? "taken off the care team" : "added to the care team")) await show(selected.id);
    };
  }
}
let timer = null;
$("search").oninput = () => { clearTimeout(timer); timer = setTimeout(list, 200); };
$("patient-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = formBody();
  const pseudonym = $("f-pseudonym").value.trim();
  if (pseudonym) body.pseudonym = pseudonym;
  const r = await api("POST", "/api/patients", body);
  if (say(r, `${r.data?.pseudonym} added`)) { await list(); await show(r.data.id); }
};
$("patient-save").onclick = async () => {
  const r = await api("PATCH", `/api/patients/${selected.id}`, formBody());
  if (say(r, "saved")) { await list(); await show(selected.id); }
};
$("patient-new").onclick = () => { fillForm(null); $("patient-message").textContent = ""; };
