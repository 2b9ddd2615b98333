// The task tree on the dashboard: a job expands to its playlists (downloaded / total, %, running,
// failed) and a playlist to its songs (status, source, quality, size, reason, the 非音乐资源 tag). Both
// levels load lazily (/api/jobs/{id}/playlists, /api/jobs/{id}/playlists/{pid}/songs, paged) and are
// refreshed in place — rows updated, never rebuilt — at most every 2 s while the job changes
// ("job-updated" from dashboard.js), so open nodes stay open across live updates.
(function () {
  const table = document.querySelector("#jobs tbody");
  const PAGE = 100;
  const PAGE_MAX = 1000;
  const REFRESH_MS = 2000;
  const refreshing = new Map(); // job id -> pending refresh timer

  const el = window.el;

  function toggle(title) {
    const button = el("button", "▸", "tree-toggle");
    button.type = "button";
    button.title = title;
    button.setAttribute("aria-expanded", "false");
    return button;
  }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "▾" : "▸";
  }

  async function getJson(url) {
    const response = await fetch(url);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
    return body;
  }

  function fill(row, values) {
    for (const [name, value] of Object.entries(values)) row.querySelector("td." + name).textContent = value;
  }

  function cells(row, names) {
    for (const name of names) row.append(el("td", undefined, name));
  }

  // ---- playlists of a job ----

  function playlistRow(jobId, playlist) {
    const row = el("tr", undefined, "playlist");
    row.dataset.playlistId = playlist.playlist_id;
    const name = el("td", undefined, "name");
    name.append(toggle("the playlist's songs in this job"), " ", el("span", "", "title"));
    row.append(name);
    cells(row, ["platform", "count"]);
    const bar = el("td", undefined, "bar");
    const progress = el("progress");
    progress.max = 100;
    bar.append(progress, el("span", "", "percent"));
    row.append(bar);
    cells(row, ["running", "failed"]);
    name.querySelector("button").addEventListener("click", () => toggleSongs(jobId, row));
    return row;
  }

  function showPlaylist(row, p) {
    row.querySelector("td.name .title").textContent = p.name || "playlist " + p.playlist_id;
    const total = Number(p.total);
    fill(row, {
      platform: p.platform,
      count: total ? p.downloaded + " / " + total : "0 songs" + (p.sync_status === "synced" ? "" : ", sync recommended"),
      running: p.running,
      failed: [Number(p.failed) ? p.failed + " failed" : "", Number(p.unavailable) ? p.unavailable + " unavailable" : ""]
        .filter(Boolean).join(" · ") || "-",
    });
    row.querySelector("progress").value = p.percent;
    row.querySelector(".percent").textContent = " " + p.percent + " %";
  }

  async function loadPlaylists(jobId, tree) {
    const holder = tree.querySelector(".tree-body");
    const message = tree.querySelector(".tree-message");
    const body = holder.querySelector("tbody");
    const shown = Math.min(PAGE_MAX, Math.max(PAGE, body.querySelectorAll("tr.playlist").length));
    let data;
    try {
      data = await getJson("/api/jobs/" + jobId + "/playlists?limit=" + shown);
    } catch (error) {
      message.textContent = "could not load the playlists: " + error.message;
      return;
    }
    message.textContent = data.playlists.length ? "" : "this job has no playlists (it is not scoped by playlists)";
    holder.hidden = !data.playlists.length;
    for (const p of data.playlists) {
      let row = body.querySelector('tr.playlist[data-playlist-id="' + p.playlist_id + '"]');
      if (!row) {
        row = playlistRow(jobId, p);
        body.append(row);
      }
      showPlaylist(row, p);
    }
    if (Number(data.total) > data.playlists.length) {
      message.textContent = "the first " + data.playlists.length + " of " + data.total + " playlists";
    }
    for (const row of body.querySelectorAll("tr.songs")) await loadSongs(jobId, row, false);
  }

  function jobTree(jobId) {
    const tree = el("tr", undefined, "tree");
    tree.dataset.treeOf = jobId;
    const td = el("td");
    td.colSpan = 9;
    const holder = el("table", undefined, "compact tree-body");
    holder.innerHTML = "<thead><tr><th>Playlist</th><th>Platform</th><th>Downloaded</th><th>Progress</th>" +
      "<th>Running</th><th>Failures</th></tr></thead><tbody></tbody>";
    holder.hidden = true;
    td.append(el("p", "loading…", "tree-message"), holder);
    tree.append(td);
    return tree;
  }

  async function toggleJob(row, button) {
    const jobId = row.dataset.jobId;
    const open = row.nextElementSibling && row.nextElementSibling.dataset.treeOf === jobId;
    if (open) {
      row.nextElementSibling.remove();
      setOpen(button, false);
      return;
    }
    setOpen(button, true);
    const tree = jobTree(jobId);
    row.after(tree);
    await loadPlaylists(jobId, tree);
  }

  // ---- songs of a playlist ----

  function songRow(song) {
    const row = el("tr", undefined, "song");
    row.dataset.songId = song.song_id;
    cells(row, ["position", "title", "status", "source", "quality", "size", "reason"]);
    return row;
  }

  function showSong(row, song) {
    fill(row, {position: song.position, source: song.source || "-", quality: song.quality || "-",
      size: song.size_text, reason: song.reason || "-"});
    const title = row.querySelector("td.title");
    title.replaceChildren(song.name + (song.singers ? " — " + song.singers : ""));
    for (const tag of song.tags) title.append(" ", el("span", tag, "tag"));
    const status = row.querySelector("td.status");
    status.replaceChildren(el("span", song.status.replaceAll("_", " "), "badge " + song.status));
    row.dataset.status = song.status;
  }

  async function loadSongs(jobId, songsRow, more) {
    const body = songsRow.querySelector("tbody");
    const message = songsRow.querySelector(".songs-message");
    const loaded = body.querySelectorAll("tr.song").length;
    const offset = more ? loaded : 0;
    const limit = more ? PAGE : Math.min(PAGE_MAX, Math.max(PAGE, loaded));
    let data;
    try {
      data = await getJson("/api/jobs/" + jobId + "/playlists/" + songsRow.dataset.songsOf +
        "/songs?limit=" + limit + "&offset=" + offset);
    } catch (error) {
      message.textContent = "could not load the songs: " + error.message;
      return;
    }
    for (const song of data.songs) {
      let row = body.querySelector('tr.song[data-song-id="' + song.song_id + '"]');
      if (!row) {
        row = songRow(song);
        body.append(row);
      }
      showSong(row, song);
    }
    const shown = body.querySelectorAll("tr.song").length;
    message.textContent = Number(data.total) ? shown + " of " + data.total + " songs" : "no songs linked yet";
    songsRow.querySelector("button.more").hidden = shown >= Number(data.total);
  }

  async function toggleSongs(jobId, playlistRow) {
    const button = playlistRow.querySelector("button.tree-toggle");
    const next = playlistRow.nextElementSibling;
    if (next && next.dataset.songsOf === playlistRow.dataset.playlistId) {
      next.remove();
      setOpen(button, false);
      return;
    }
    setOpen(button, true);
    const songsRow = el("tr", undefined, "songs");
    songsRow.dataset.songsOf = playlistRow.dataset.playlistId;
    const td = el("td");
    td.colSpan = 6;
    const list = el("table", undefined, "compact tree-songs");
    list.innerHTML = "<thead><tr><th>#</th><th>Song</th><th>Status</th><th>Source</th><th>Quality</th>" +
      "<th>Size</th><th>Reason</th></tr></thead><tbody></tbody>";
    const more = el("button", "More songs", "more");
    more.type = "button";
    more.hidden = true;
    more.addEventListener("click", () => loadSongs(jobId, songsRow, true));
    td.append(list, el("span", "loading…", "songs-message"), " ", more);
    songsRow.append(td);
    playlistRow.after(songsRow);
    await loadSongs(jobId, songsRow, false);
  }

  // ---- wiring ----

  table.addEventListener("click", (event) => {
    const button = event.target.closest("tr.job button.tree-toggle");
    if (button) toggleJob(button.closest("tr.job"), button);
  });

  table.addEventListener("job-updated", (event) => {
    const jobId = String(event.detail.id);
    if (refreshing.has(jobId)) return;
    refreshing.set(jobId, setTimeout(() => {
      refreshing.delete(jobId);
      const tree = table.querySelector('tr.tree[data-tree-of="' + jobId + '"]');
      if (tree) loadPlaylists(jobId, tree);
    }, REFRESH_MS));
  });
})();
