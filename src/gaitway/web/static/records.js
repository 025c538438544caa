import { requireLogin, api, el, fmt } from "/static/common.js";
const $ = (x) => document.getElementById(x);

async function show(id) {
  const r = await api("GET", `/api/patients/${id}`);
  if (!r.ok) return;
  const p = r.data;
  $("ptitle").textContent = `${p.pseudonym}${p.simulated ? " (SIMULATED)" : ""} – ${p.diagnosis ?? ""}`;
  $("pteam").textContent = `Care team: ${(p.care_team || []).join(", ") || "nobody yet"}`;
  $("pprogress").replaceChildren(el("a", { href: `/progress?patient=${p.id}` }, `Progress of ${p.pseudonym}`));
  $("prescriptions").replaceChildren(...p.prescriptions.map((x) => el("tr", {}, el("td", {}, x.created_at.slice(0, 10)),
    el("td", {}, x.active ? "yes" : ""), el("td", {}, x.duration_min), el("td", {}, x.speed_kmh), el("td", {}, x.guidance_pct),
    el("td", {}, x.bws_pct), el("td", {}, x.controller))));
  $("sessions").replaceChildren(...p.sessions.slice().reverse().map((s) => el("tr", {}, el("td", {}, s.started_at.slice(0, 10)),
    el("td", {}, s.status), el("td", {}, fmt(s.duration_s / 60, 1)), el("td", {}, s.steps), el("td", {}, fmt(s.guidance_pct)),
    el("td", {}, fmt(s.bws_pct)), el("td", {}, el("a", { href: `/api/sessions/${s.id}/report`, target: "_blank" }, "report")))));
}

await requireLogin();
const r = await api("GET", "/api/patients");
if (r.ok && !r.data.length) $("patients").replaceChildren(el("tr", {}, el("td", {}, "No patients on your care team yet; an admin assigns them.")));
else if (r.ok) $("patients").replaceChildren(...r.data.map((p) => el("tr", {}, el("td", {},
  el("a", { href: "#", onclick: (e) => { e.preventDefault(); show(p.id); } }, p.pseudonym, p.simulated ? " (SIM)" : "")))));
