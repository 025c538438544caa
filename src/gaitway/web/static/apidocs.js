// Swagger UI over the admin-only schema; its assets come from this server, never elsewhere.
// "Try it out" acts as the logged-in admin: every change the API takes needs the session's
// CSRF token (X-CSRF-Token), which this page reads from /api/me as every console page does.
const me = fetch("/api/me").then((r) => (r.ok ? r.json() : {})).catch(() => ({}));

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  requestInterceptor: async (req) => {
    if ((req.method || "GET").toUpperCase() !== "GET") req.headers["X-CSRF-Token"] = (await me).csrf || "";
    return req;
  },
});
