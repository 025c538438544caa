// The login click is the user gesture that lets the console's fault alarm sound (browsers keep
// audio off until the user acts on the site); the pages after it start their alarm unlocked.
let audio = null;
document.getElementById("submit").addEventListener("click", () => {
  try { audio = audio || new AudioContext(); audio.resume().catch(() => {}); } catch (e) { audio = null; }
});

document.getElementById("form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = { username: document.getElementById("username").value,
                 password: document.getElementById("password").value };
  const r = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                        body: JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) { document.getElementById("message").textContent = data.detail || "login failed"; return; }
  location.href = data.home || (data.role === "patient" ? "/patient" : "/");
};
