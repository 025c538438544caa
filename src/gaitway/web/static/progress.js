// Progress in plain words and the recent sessions: a patient sees their own; a therapist or an
// admin picks a patient of their care team (/progress?patient=ID).
import { requireLogin, api, el, fmt } from "/static/common.js";

const $ = (x) => document.getElementById(x);
const me = await requireLogin();
const pid = new URLSearchParams(location.search).get("patient");

if (me.role !== "patient" && !pid) {
  $("progress").hidden = true; $("recent").hidden = true; $("pick").hidden = false;
  const r = await api("GET", "/api/patients");
  const items = r.ok ? r.data.map((p) => el("li", {}, el("a", { href: `/progress?patient=${p.id}` },
    p.pseudonym, p.simulated ? " (SIMULATED)" : ""))) : [];
  $("patients").replaceChildren(...(items.length ? items : [el("li", {}, r.ok
    ? "No patients on your care team yet; an admin assigns them." : (r.data?.detail || `failed (${r.status})`))]));
} else {
  const r = await api("GET", me.role === "patient" ? "/api/me/progress" : `/api/patients/${encodeURIComponent(pid)}/progress`);
  if (!r.ok) {
    $("message").textContent = r.data?.detail || `This progress page is not available (${r.status}).`;
    $("recent").hidden = true;
  } else {
    const d = r.data, sim = d.simulated ? " (SIMULATED patient)" : "";
    $("title").textContent = me.role === "patient" ? `How you are doing${sim}` : `Progress of ${d.pseudonym}${sim}`;
    $("lines").replaceChildren(...(d.lines.length ? d.lines : ["No sessions yet."]).map((l) => el("li", {}, l)));
    $("sessions").replaceChildren(...d.sessions.slice().reverse().map((s) => el("tr", {},
      el("td", {}, s.started_at.slice(0, 10)), el("td", {}, fmt(s.duration_s / 60, 1)), el("td", {}, s.steps),
      el("td", {}, fmt(s.guidance_pct, 0, " %")))));
  }
}
