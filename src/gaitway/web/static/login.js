document.getElementById("form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = { username: document.getElementById("username").value,
                 password: document.getElementById("password").value };
  const r = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                        body: JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  if (!r.ok) { document.getElementById("message").textContent = data.detail || "login failed"; return; }
  location.href = data.role === "patient" ? "/patient" : "/";
};
