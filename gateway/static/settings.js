// The settings page: job defaults (revisions, diff, rollback), library root, object backends.
// Everything goes through /api/settings/*; storage changes carry the operator token typed on the page.
(function () {
  "use strict";
  const form = document.getElementById("defaults-form");
  const defaultsMessage = document.getElementById("defaults-message");
  const revisionsBody = document.querySelector("#revisions tbody");
  const diffBox = document.getElementById("diff");
  const GB = 1024 * 1024 * 1024;

  const el = window.el;

  const cell = window.labelledCell;

  function say(node, text, ok) {
    node.textContent = text;
    node.classList.toggle("ok", Boolean(ok));
  }

  async function call(url, options) {
    const response = await fetch(url, options || {});
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    if (!response.ok) throw new Error(data.error || response.status + " " + response.statusText);
    return data;
  }

  function post(url, body, operator) {
    const headers = { "Content-Type": "application/json" };
    if (operator) {
      const token = document.getElementById("operator-token").value.trim();
      if (token) headers["X-Catalogsync-Operator"] = token;
    }
    return call(url, { method: "POST", headers: headers, body: JSON.stringify(body || {}) });
  }

  function when(text) {
    return text ? new Date(text).toLocaleString() : "";
  }

  function fillForm(defaults) {
    for (const box of form.querySelectorAll("input[type=checkbox][name=sources]")) box.checked = defaults.sources.includes(box.value);
    for (const box of form.querySelectorAll("input[type=checkbox][name=discovery_kinds]")) box.checked = defaults.discovery_kinds.includes(box.value);
    form.elements.download_sources.value = defaults.download_sources.join(", ");
    for (const stage of ["collect", "sync", "download", "upload", "lyrics"]) form.elements["workers." + stage].value = defaults.workers[stage];
    form.elements.limit.value = defaults.limit;
    form.elements.track_limit.value = defaults.track_limit;
    form.elements.min_free_gb.value = (Number(defaults.min_free_bytes) / GB).toFixed(2);
    form.elements.layout.value = defaults.layout;
    form.elements.lyrics.checked = defaults.lyrics;
    form.elements.overwrite_lyrics.checked = defaults.overwrite_lyrics;
    form.elements.export_hook.checked = defaults.export_hook;
  }

  function formValues() {
    const checked = (name) => Array.from(form.querySelectorAll("input[name=" + name + "]:checked")).map((b) => b.value);
    const number = (name) => Number(form.elements[name].value || 0);
    return {
      sources: checked("sources"),
      discovery_kinds: checked("discovery_kinds"),
      download_sources: form.elements.download_sources.value.split(/[\s,]+/).filter(Boolean),
      workers: { collect: number("workers.collect"), sync: number("workers.sync"), download: number("workers.download"), upload: number("workers.upload"), lyrics: number("workers.lyrics") },
      limit: number("limit"),
      track_limit: number("track_limit"),
      min_free_bytes: Math.round(number("min_free_gb") * GB),
      layout: form.elements.layout.value,
      lyrics: form.elements.lyrics.checked,
      overwrite_lyrics: form.elements.overwrite_lyrics.checked,
      export_hook: form.elements.export_hook.checked,
      comment: form.elements.comment.value,
    };
  }

  async function showDiff(from, to) {
    try {
      const diff = await call("/api/settings/defaults/diff?from=" + from + "&to=" + to);
      document.getElementById("diff-title").textContent = "Revision " + diff.from_revision + " → " + diff.to_revision;
      const rows = diff.changes.map((c) => {
        const tr = el("tr");
        tr.append(cell("Setting", c.field), cell("Before", c.before), cell("After", c.after));
        return tr;
      });
      if (!rows.length) {
        const tr = el("tr");
        tr.append(cell("", "no differences"));
        rows.push(tr);
      }
      diffBox.querySelector("tbody").replaceChildren(...rows);
      diffBox.hidden = false;
    } catch (error) {
      say(defaultsMessage, "diff failed: " + error.message);
    }
  }

  function revisionRow(revision, current) {
    const tr = el("tr");
    tr.dataset.revision = revision.revision;
    const label = "#" + revision.revision + (revision.revision === current ? " (current)" : "") +
      (revision.rollback_of ? " ↺ " + revision.rollback_of : "");
    const actions = el("span");
    if (revision.revision > 1) {
      const diff = el("button", "Diff");
      diff.type = "button";
      diff.dataset.action = "diff";
      actions.append(diff, " ");
    }
    if (revision.revision !== current) {
      const back = el("button", "Roll back to this");
      back.type = "button";
      back.dataset.action = "rollback";
      actions.append(back);
    }
    tr.append(cell("Revision", label), cell("When", when(revision.created_at)), cell("By", revision.created_by),
      cell("Comment", revision.comment), cell("Actions", actions));
    return tr;
  }

  async function loadDefaults() {
    try {
      const data = await call("/api/settings/defaults");
      const current = data.current.revision;
      document.getElementById("current-revision").textContent = "revision " + current + " · pause below " + data.current.min_free_text;
      document.getElementById("export-hook-note").textContent = data.export_command_configured
        ? "(CATALOG_EXPORT_COMMAND is set)" : "(no CATALOG_EXPORT_COMMAND configured: nothing to run)";
      fillForm(data.current.defaults);
      revisionsBody.replaceChildren(...data.history.map((r) => revisionRow(r, current)));
    } catch (error) {
      say(defaultsMessage, "job defaults unknown: " + error.message);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(defaultsMessage, "saving…", true);
    try {
      const saved = await post("/api/settings/defaults", formValues());
      form.elements.comment.value = "";
      say(defaultsMessage, "saved as revision " + saved.revision, true);
      await loadDefaults();
      await showDiff(0, saved.revision);
    } catch (error) {
      say(defaultsMessage, error.message);
    }
  });

  revisionsBody.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const revision = Number(button.closest("tr").dataset.revision);
    if (button.dataset.action === "diff") return showDiff(0, revision);
    button.disabled = true;
    try {
      const made = await post("/api/settings/defaults/rollback", { revision: revision });
      say(defaultsMessage, "rolled back: revision " + made.revision + " has the values of revision " + revision, true);
      await loadDefaults();
      await showDiff(0, made.revision);
    } catch (error) {
      say(defaultsMessage, error.message);
      button.disabled = false;
    }
  });

  async function loadRoot() {
    const status = document.getElementById("root-status");
    try {
      const root = await call("/api/settings/library-root");
      status.replaceChildren();
      if (!root.has_root) {
        status.textContent = root.error || "no library root is set";
        return;
      }
      status.append("Downloads go to ", el("code", root.root.root_path), " · ");
      if (root.error) {
        status.append(el("span", "free space unknown: " + root.error, "low"));
      } else {
        status.append(el("span", root.free_text + " free of " + root.total_text, root.low ? "low" : ""),
          " · jobs pause below " + root.min_free_text + (root.low ? " — low: set a new root below" : ""));
      }
    } catch (error) {
      status.textContent = "library root unknown: " + error.message;
    }
  }

  document.getElementById("root-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = document.getElementById("root-message");
    const rootForm = event.target;
    say(message, "checking the folder with the downloader…", true);
    try {
      const made = await post("/api/settings/library-root", { root_path: rootForm.elements.root_path.value.trim() }, true);
      say(message, "new downloads go to " + made.root_path + "; resume paused jobs from the dashboard", true);
      await loadRoot();
      await loadBackends();
    } catch (error) {
      say(message, error.message);
    }
  });

  async function loadBackends() {
    const body = document.querySelector("#backends tbody");
    try {
      const data = await call("/api/settings/backends");
      const objects = data.backends.filter((b) => b.backend_type === "object_storage");
      body.replaceChildren(...objects.map((b) => {
        const tr = el("tr");
        tr.dataset.name = b.name;
        const actions = el("span");
        if (!b.is_active) {
          const make = el("button", "Make default");
          make.type = "button";
          actions.append(make);
        }
        tr.append(cell("Name", b.name), cell("Bucket", b.bucket), cell("Endpoint", b.endpoint), cell("Prefix", b.base_prefix),
          cell("Default", b.is_active ? "default" : ""), cell("Actions", actions));
        return tr;
      }));
      if (!objects.length) {
        const tr = el("tr");
        tr.append(cell("", "no object backend registered: uploads are skipped"));
        body.replaceChildren(tr);
      }
    } catch (error) {
      say(document.getElementById("backends-message"), "backends unknown: " + error.message);
    }
  }

  document.querySelector("#backends tbody").addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const message = document.getElementById("backends-message");
    const name = button.closest("tr").dataset.name;
    try {
      await post("/api/settings/backends/" + encodeURIComponent(name) + "/default", {}, true);
      say(message, "uploads now go to " + name + " by default", true);
      await loadBackends();
    } catch (error) {
      say(message, error.message);
    }
  });

  document.getElementById("backend-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const backendForm = event.target;
    const message = document.getElementById("backend-message");
    const body = {};
    for (const name of ["name", "bucket", "endpoint", "region", "base_prefix", "credential_env_prefix"]) body[name] = backendForm.elements[name].value.trim();
    body.make_default = backendForm.elements.make_default.checked;
    try {
      const made = await post("/api/settings/backends", body, true);
      say(message, "registered " + made.name, true);
      await loadBackends();
    } catch (error) {
      say(message, error.message);
    }
  });

  loadDefaults();
  loadRoot();
  loadBackends();
})();
