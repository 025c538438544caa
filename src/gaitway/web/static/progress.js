import { requireLogin, api, el, fmt } from "/static/common.js";

await requireLogin();
const r = await api("GET", "/api/me/progress");
if (r.ok) {
  const d = r.data;
  document.getElementById("title").textContent = `How you are doing${d.simulated ? " (SIMULATED patient)" : ""}`;
  document.getElementById("lines").replaceChildren(...(d.lines.length ? d.lines : ["No sessions yet."]).map((l) => el("li", {}, l)));
  document.getElementById("sessions").replaceChildren(...d.sessions.slice().reverse().map((s) => el("tr", {},
    el("td", {}, s.started_at.slice(0, 10)), el("td", {}, fmt(s.duration_s / 60, 1)), el("td", {}, s.steps),
    el("td", {}, fmt(s.guidance_pct, 0, " %")))));
}
