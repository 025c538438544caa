// Users for admins: add, disable (their sessions end at once), enable, reset a password, role,
// station and care teams. Every change goes through the API, which audits it.
import { requireLogin, api, el } from "/static/common.js";

const $ = (x) => document.getElementById(x);
let users = [], patients = [];

function say(r, done) {
  $("admin-message").textContent = r.ok ? done : (r.data?.detail || `failed (${r.status})`);
  $("admin-message").className = r.ok ? "ok" : "error";
  return r.ok;
}

// Refilled after every change: what the admin had chosen stays chosen while it still exists.
function options(sel, items, blank) {
  const keep = sel.value;
  sel.replaceChildren(...(blank ? [el("option", { value: "" }, blank)] : []),
    ...items.map(([v, t]) => el("option", { value: v }, t)));
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

async function load() {
  const [u, p, s] = await Promise.all([api("GET", "/api/admin/users"), api("GET", "/api/patients"),
                                       api("GET", "/api/admin/stations")]);
  if (!u.ok) { say(u); return; }
  users = u.data; patients = p.ok ? p.data : [];
  $("users").replaceChildren(...users.map((x) => el("tr", { "data-user": x.username },
    el("td", {}, x.username), el("td", {}, x.role), el("td", {}, x.active ? "active" : "disabled"),
    el("td", {}, x.patient || x.station || ""), el("td", {}, x.care_team_of.join(", ")),
    el("td", {}, el("button", { type: "button", class: x.active ? "disable" : "enable",
      "aria-label": `${x.active ? "Disable" : "Enable"} ${x.username}`,
      onclick: () => post(`/api/admin/users/${x.id}/${x.active ? "disable" : "enable"}`, undefined,
        `${x.username} ${x.active ? "disabled; their sessions ended" : "enabled"}`) },
      x.active ? "Disable" : "Enable")))));
  const pats = patients.map((x) => [x.id, `${x.pseudonym}${x.simulated ? " (SIMULATED)" : ""}`]);
  for (const id of ["new-patient", "change-patient"]) options($(id), pats, "none");
  options($("team-patient"), pats);
  for (const sel of document.querySelectorAll("select.stations")) options(sel, (s.ok ? s.data : []).map((n) => [n, n]), "none");
  options($("change-who"), users.map((x) => [x.id, `${x.username} (${x.role})`]));
  options($("team-therapist"), users.filter((x) => x.role === "therapist").map((x) => [x.username, x.username]));
}

// A message says "done" only once the page shows the result (the tables reloaded): a user
// (or a test) who acts on the message must not have the reload undo what they typed.
// ``after``: what else the page does on success (clearing a form), also before the message.
async function post(path, body, done, after) {
  $("admin-message").textContent = "saving…"; $("admin-message").className = "";
  const r = await api("POST", path, body);
  if (r.ok) { await load(); if (after) after(); }
  say(r, done);
  return r.ok;
}

const num = (v) => (v === "" ? null : Number(v));

await requireLogin();
await load();
$("add-user").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = { username: $("new-username").value, role: $("new-role").value, password: $("new-password").value,
                 patient_id: num($("new-patient").value), station: $("new-station").value || null };
  await post("/api/admin/users", body, `${body.username} added`, () => $("add-user").reset());
};
const who = () => Number($("change-who").value);
$("reset-password").onclick = async () => {
  await post(`/api/admin/users/${who()}/password`, { password: $("change-password").value }, "password reset; their sessions ended",
    () => { $("change-password").value = ""; });
};
$("set-role").onclick = () => post(`/api/admin/users/${who()}/role`,
  { role: $("change-role").value, patient_id: num($("change-patient").value) }, "role changed; their sessions ended");
$("set-station").onclick = () => post(`/api/admin/users/${who()}/station`, { station: $("change-station").value || null }, "station set");
for (const [b, remove] of [["team-add", false], ["team-remove", true]]) {
  $(b).onclick = () => post("/api/admin/care-team", { patient_id: Number($("team-patient").value),
    username: $("team-therapist").value, remove }, remove ? "taken off the care team" : "added to the care team");
}
// every button acts from here on (until now they were disabled: the page was loading)
for (const b of document.querySelectorAll("button.when-ready")) { b.disabled = false; b.title = ""; }
