// Each way the station page's own updates change its content, as station.js does it (used by
// test_browser_station_layout.py, hazard H31): a function returning {name: () => change}.
() => {
  const $ = (x) => document.getElementById(x);
  const long = (s, n) => s.repeat(n);
  return {
    title: () => { $("patient").textContent = long("patient with a long record name ", 6); },
    fault_bar: () => { $("faultbar").hidden = false;
                       $("faultbar").textContent = long("SAFETY STOP: interaction force at hip_left. ", 8); },
    stale_bar: () => { $("stale").hidden = false;
                       $("stale_why").textContent = long("the server answers with an error ", 6); },
    no_bars: () => { $("faultbar").hidden = true; $("stale").hidden = true; if ($("allclear")) $("allclear").hidden = true; },
    behind: () => { $("behind").style.visibility = "visible"; $("behind_s").textContent = "12345.6 s";
                    $("slips").textContent = "99999"; },
    state_values: () => { for (const k of ["state", "elapsed", "steps", "guidance_now", "bws_now", "speed_now",
                                           "controller_now"]) $(k).textContent = long("wide value ", 5); },
    alerts: () => { $("alerts").replaceChildren(...Array.from({ length: 6 }, (_, i) => {
                      const d = document.createElement("div"); d.className = "alert";
                      d.textContent = long(`alert ${i}: joint velocity `, 5); return d; })); },
    symmetry: () => { $("symmetry").textContent = long("Left strides take 12 % longer. ", 12);
                      $("wb_words").textContent = long("Left leg bears 60 % of the weight. ", 12); },
    strides: () => { const rows = $("strides");
                     for (let i = 0; i < 8; i++) {
                       const r = rows.insertRow();
                       for (let c = 0; c < 6; c++) r.insertCell().textContent = "123.45 / 678.90"; } },
    message: () => { $("message").textContent = long("pause not answered (timeout): check the station. ", 6); },
    last_session: () => { $("last-session").textContent = long("Last session not stored: the store refused it. ", 5); },
    alarm_sound: () => { for (const k of ["alarm-off", "alarm-sound"]) if ($(k)) $(k).hidden = !$(k).hidden; },
    controller_settings: () => { const g = document.querySelector('[data-change="support_bounds"]');
                                 g.hidden = !g.hidden; },
    prescription: () => { $("rx-now").textContent = long("The next session follows the active prescription. ", 5); },
  };
}
