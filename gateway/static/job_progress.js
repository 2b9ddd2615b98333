// The job page's playlist progress (downloaded / total, %, running, failures per playlist of the job)
// and its logs (job_logs, newest first, "Older logs" pages back). Both are re-read at most every 2 s
// while the job changes ("job-updated" from job.js); playlist rows are updated in place.
(function () {
  const root = document.getElementById("job");
  const jobId = root.dataset.jobId;
  const playlists = document.querySelector("#job-playlists tbody");
  const playlistsMessage = document.getElementById("playlists-message");
  const morePlaylists = document.getElementById("more-playlists");
  const logs = document.querySelector("#job-logs tbody");
  const olderLogs = document.getElementById("older-logs");
  const PAGE = 100;
  const REFRESH_MS = 2000;
  let oldestLog = 0;

  const el = window.el;

  async function getJson(url) {
    const response = await fetch(url);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
    return body;
  }

  function playlistRow(p) {
    const row = el("tr");
    row.dataset.playlistId = p.playlist_id;
    for (const name of ["name", "platform", "count", "bar", "running", "failed", "unavailable", "skipped"]) {
      row.append(el("td", undefined, name));
    }
    const progress = el("progress");
    progress.max = 100;
    row.querySelector("td.bar").append(progress, el("span", "", "percent"));
    return row;
  }

  function showPlaylist(row, p) {
    const values = {
      name: p.name || "playlist " + p.playlist_id,
      platform: p.platform,
      count: Number(p.total) ? p.downloaded + " / " + p.total : "0 songs" + (p.sync_status === "synced" ? "" : ", sync recommended"),
      running: p.running, failed: p.failed, unavailable: p.unavailable, skipped: p.skipped,
    };
    for (const [name, value] of Object.entries(values)) row.querySelector("td." + name).textContent = value;
    row.querySelector("progress").value = p.percent;
    row.querySelector(".percent").textContent = " " + p.percent + " %";
  }

  async function loadPlaylists(more) {
    const loaded = playlists.children.length;
    const query = more ? "limit=" + PAGE + "&offset=" + loaded : "limit=" + Math.min(1000, Math.max(PAGE, loaded));
    let data;
    try {
      data = await getJson("/api/jobs/" + jobId + "/playlists?" + query);
    } catch (error) {
      playlistsMessage.textContent = "could not load the playlists: " + error.message;
      return;
    }
    for (const p of data.playlists) {
      let row = playlists.querySelector('tr[data-playlist-id="' + p.playlist_id + '"]');
      if (!row) {
        row = playlistRow(p);
        playlists.append(row);
      }
      showPlaylist(row, p);
    }
    const shown = playlists.children.length;
    playlistsMessage.textContent = shown ? shown + " of " + data.total + " playlists" : "this job has no playlists (it is not scoped by playlists)";
    morePlaylists.hidden = shown >= Number(data.total);
  }

  function logRow(line) {
    const row = el("tr", undefined, "log " + line.level);
    row.append(el("td", new Date(line.created_at).toLocaleTimeString()), el("td", line.level), el("td", line.message));
    return row;
  }

  async function loadLogs(older) {
    const url = "/api/jobs/" + jobId + "/logs?limit=" + PAGE + (older ? "&before_id=" + oldestLog : "");
    let data;
    try {
      data = await getJson(url);
    } catch (error) {
      logs.replaceChildren(el("tr", "could not load the logs: " + error.message));
      return;
    }
    const rows = data.logs.map(logRow);
    if (older) logs.append(...rows); else logs.replaceChildren(...rows);
    if (!older || data.logs.length) oldestLog = data.logs.length ? data.logs[data.logs.length - 1].id : oldestLog;
    olderLogs.hidden = data.logs.length < PAGE;
  }

  morePlaylists.addEventListener("click", () => loadPlaylists(true));
  olderLogs.addEventListener("click", () => loadLogs(true));
  let timer = null;
  root.addEventListener("job-updated", () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      loadPlaylists(false);
      if (olderLogs.hidden || logs.children.length <= PAGE) loadLogs(false);
    }, REFRESH_MS);
  });
  loadPlaylists(false);
  loadLogs(false);
})();
