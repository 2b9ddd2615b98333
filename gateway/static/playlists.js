// The playlists page: filter and page through the pool, select a page or everything the filter
// matches, and run a bulk action (sync, adaptive download, wanted, ZIP export) on the selection.
(function () {
  const form = document.getElementById("filters");
  const body = document.querySelector("#playlists tbody");
  const selectPage = document.getElementById("select-page");
  const selectAll = document.getElementById("select-all");
  const selectionText = document.getElementById("selection");
  const result = document.getElementById("result");
  const pageInfo = document.getElementById("page-info");
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const compact = new Intl.NumberFormat("en", {notation: "compact", maximumFractionDigits: 1});
  const whole = new Intl.NumberFormat("en");
  const FILTERS = ["platform", "pool_kind", "status", "keyword", "wanted_only", "page_size"];
  let page = 1;
  let total = 0;
  let rows = [];
  let selected = new Set();
  let allMatching = false;
  let appliedFilter = {};

  const el = window.el;

  function readForm() {
    const data = new FormData(form);
    return {
      platform: data.get("platform") || "",
      pool_kind: data.get("pool_kind") || "",
      status: data.get("status") || "",
      keyword: (data.get("keyword") || "").trim(),
      wanted_only: data.get("wanted_only") === "true",
      page_size: data.get("page_size") || "50",
    };
  }

  function writeForm(params) {
    for (const name of FILTERS) {
      const field = form.elements[name];
      const value = params.get(name);
      if (!field || value === null) continue;
      if (field.type === "checkbox") field.checked = value === "true" || value === "1";
      else field.value = value;
    }
    page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  }

  function query() {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(appliedFilter)) {
      if (value !== "" && value !== false) params.set(name, String(value));
    }
    if (page > 1) params.set("page", String(page));
    return params;
  }

  function showError(text) {
    result.className = "result error";
    result.textContent = text;
  }

  async function answerOf(response) {
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `the console answered ${response.status}`);
    return answer;
  }

  function updateSelection() {
    if (allMatching) {
      selectionText.textContent = `all ${whole.format(total)} matching playlists selected`;
    } else {
      selectionText.textContent = selected.size ? `${whole.format(selected.size)} selected` : "nothing selected";
    }
    const onPage = rows.filter((row) => selected.has(row.id)).length;
    selectPage.checked = allMatching || (rows.length > 0 && onPage === rows.length);
    for (const box of body.querySelectorAll("input[type=checkbox]")) {
      box.checked = allMatching || selected.has(Number(box.value));
      box.disabled = allMatching;
    }
  }

  function progressCell(row) {
    const td = el("td", undefined, "progress");
    td.dataset.label = "Progress";
    const bar = el("progress");
    bar.max = 100;
    bar.value = row.percent;
    td.append(bar, el("span", `${whole.format(row.downloaded_count)} / ${whole.format(row.song_count)}`, "count"));
    if (row.running_count > 0) td.append(el("span", `${row.running_count} downloading now`, "running"));
    return td;
  }

  function render() {
    body.replaceChildren();
    if (!rows.length) {
      const tr = el("tr", undefined, "empty");
      const td = el("td", "No playlist matches these filters.");
      td.colSpan = 7;
      tr.append(td);
      body.append(tr);
    }
    for (const row of rows) {
      const tr = el("tr");
      tr.dataset.playlistId = row.id;
      tr.dataset.status = row.status;
      const check = el("td");
      const box = el("input");
      box.type = "checkbox";
      box.value = row.id;
      box.setAttribute("aria-label", `select ${row.name || row.remote_playlist_id}`);
      check.append(box);
      const name = el("td", undefined, "name");
      name.dataset.label = "Playlist";
      name.append(el("span", (row.wanted ? "★ " : "") + (row.name || "(no name yet)"), "title"));
      name.append(el("small", `#${row.id} · ${row.kind} · ${row.remote_playlist_id}`));
      if (row.hint) name.append(el("small", row.hint, "hint"));
      const platform = el("td", row.platform);
      platform.dataset.label = "Platform";
      const status = el("td");
      status.dataset.label = "Status";
      status.append(el("span", `${row.status_label} ${row.status}`, `badge ${row.status}`));
      const plays = el("td", compact.format(Number(row.play_count)));
      plays.dataset.label = "Plays";
      const actions = el("td", undefined, "actions");
      if (row.status === "downloaded") {
        const link = el("a", "ZIP", "details");
        link.href = `/api/playlists/${row.id}/export.zip`;
        link.setAttribute("download", "");
        actions.append(link);
      }
      tr.append(check, name, platform, status, progressCell(row), plays, actions);
      body.append(tr);
    }
    updateSelection();
  }

  async function load() {
    history.replaceState(null, "", `/playlists${query().toString() ? "?" + query() : ""}`);
    try {
      const answer = await answerOf(await fetch(`/api/playlists?${query()}`));
      rows = answer.playlists.map((row) => ({...row, id: Number(row.id)}));
      total = Number(answer.total);
      pageInfo.textContent = `page ${answer.page} of ${whole.format(answer.pages)} · ${whole.format(total)} playlists`;
      prev.disabled = answer.page <= 1;
      next.disabled = answer.page >= answer.pages;
      render();
    } catch (error) {
      showError(error.message);
    }
  }

  function selectionBody() {
    const filter = {...appliedFilter};
    delete filter.page_size;
    return {playlist_ids: allMatching ? [] : [...selected], all_matching: allMatching, filter: filter};
  }

  function jobsText(jobs) {
    return jobs.map((job) => `job #${job.job_id} ${job.job_type} (${job.playlist_ids.length} playlists)`).join(", ");
  }

  function describe(action, answer) {
    if (action === "mark-wanted" || action === "unmark-wanted") {
      return `${answer.changed} of ${answer.selected} playlists ${action === "mark-wanted" ? "marked" : "unmarked"} wanted`;
    }
    if (action === "export-zip" && answer.status === "ready") return null;
    const parts = [];
    if (answer.jobs && answer.jobs.length) parts.push(`created ${jobsText(answer.jobs)}`);
    if (answer.skipped && answer.skipped.length) {
      parts.push(`skipped ${answer.skipped.length}: ${answer.skipped.map((s) => `${s.name} (${s.reason})`).join("; ")}`);
    }
    if (answer.not_ready && answer.not_ready.length) {
      parts.unshift(`${answer.not_ready.length} playlists are not ready yet, nothing exported`);
    }
    return parts.join(" · ") || "nothing to do";
  }

  async function act(action, button) {
    if (!allMatching && !selected.size) {
      showError("Select playlists first (tick rows, the page, or all matching).");
      return;
    }
    button.disabled = true;
    result.className = "result";
    result.textContent = "working…";
    try {
      const response = await fetch(`/api/playlists/${action}`, {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(selectionBody()),
      });
      const answer = await answerOf(response);
      const text = describe(action, answer);
      result.replaceChildren();
      if (text === null) {
        const link = el("a", `Download the ZIP (${answer.selected} playlists, ${whole.format(answer.songs)} songs)`);
        link.href = answer.download_url;
        link.id = "bundle-link";
        link.setAttribute("download", "");
        result.append(link);
      } else {
        result.textContent = text;
      }
      await load();
    } catch (error) {
      showError(error.message);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    appliedFilter = readForm();
    page = 1;
    selected = new Set();
    allMatching = false;
    result.textContent = "";
    load();
  });
  body.addEventListener("change", (event) => {
    const box = event.target;
    if (box.type !== "checkbox") return;
    if (box.checked) selected.add(Number(box.value));
    else selected.delete(Number(box.value));
    updateSelection();
  });
  selectPage.addEventListener("change", () => {
    allMatching = false;
    for (const row of rows) {
      if (selectPage.checked) selected.add(row.id);
      else selected.delete(row.id);
    }
    updateSelection();
  });
  selectAll.addEventListener("click", () => {
    allMatching = !allMatching;
    selectAll.textContent = allMatching ? "Clear selection" : "Select all matching";
    if (!allMatching) selected = new Set();
    updateSelection();
  });
  prev.addEventListener("click", () => { page = Math.max(1, page - 1); load(); });
  next.addEventListener("click", () => { page += 1; load(); });
  for (const button of document.querySelectorAll("#actions button[data-action]")) {
    button.addEventListener("click", () => act(button.dataset.action, button));
  }

  writeForm(new URLSearchParams(location.search));
  appliedFilter = readForm();
  load();
})();
