// The "Your accounts" table of the dashboard: /api/accounts, one row per platform.
(function () {
  "use strict";
  const body = document.querySelector("#accounts tbody");
  if (!body) return;

  function row(values) {
    const tr = document.createElement("tr");
    for (const value of values) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.appendChild(td);
    }
    return tr;
  }

  async function load() {
    try {
      const response = await fetch("/api/accounts");
      const data = await response.json();
      if (!response.ok) throw new Error(data.error || response.statusText);
      body.replaceChildren(...data.accounts.map((a) =>
        row([a.platform, a.configured ? "set" : "not set", a.configured ? a.accepted : "", a.detail])));
    } catch (error) {
      body.replaceChildren(row(["", "", "", "accounts unknown: " + error.message]));
    }
  }

  load();
})();
