// The job detail page: stages and workers follow the job live (SSE, this job only); items are
// listed by status with their reasons and the candidates considered, and can be retried. Each update
// is announced as a "job-updated" DOM event (playlist progress and logs, job_progress.js).
(function () {
  const root = document.getElementById("job");
  const jobId = root.dataset.jobId;
  const live = document.getElementById("live");
  const itemsBody = document.querySelector("#items tbody");
  const filter = document.getElementById("item-filter");
  const message = document.getElementById("items-message");
  const more = document.getElementById("more-items");
  const RETRYABLE = ["failed", "unavailable", "canceled", "interrupted"];
  const FORCEABLE = RETRYABLE.concat(["succeeded", "skipped"]);
  let nextAfter = 0;

  const el = window.el;

  function button(text, commandName) {
    const node = el("button", text);
    node.type = "button";
    node.dataset.command = commandName;
    return node;
  }

  function emptyRow(text, columns) {
    const tr = el("tr", undefined, "empty");
    const td = el("td", text);
    td.colSpan = columns;
    tr.append(td);
    return tr;
  }

  function cell(content) {
    const td = el("td");
    td.append(content);
    return td;
  }

  function duration(start, end) {
    if (!start) return "-";
    const seconds = Math.max(0, Math.round(((end ? Date.parse(end) : Date.now()) - Date.parse(start)) / 1000));
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }

  function showJob(job) {
    const status = document.getElementById("job-status");
    status.className = "badge " + job.status;
    status.textContent = job.queue_label;
    document.getElementById("job-progress").textContent = job.progress_text;
    document.getElementById("job-failures").textContent = job.failures_text;
    const note = document.getElementById("job-note");
    note.textContent = job.note;
    if (/^disk low/.test(job.note)) note.append(" ", Object.assign(document.createElement("a"), { href: "/settings#library-root", textContent: "Set a new library root" }));
    document.querySelector("#stages tbody").replaceChildren(...job.stages.map((s) => {
      const done = Number(s.succeeded) + Number(s.failed) + Number(s.skipped) + Number(s.unavailable);
      const tr = document.createElement("tr");
      tr.dataset.stage = s.stage;
      for (const value of [s.stage, s.status, done + " / " + s.total, s.queued, s.running, s.succeeded,
        s.failed, s.unavailable, s.skipped, duration(s.started_at, s.finished_at)]) tr.append(el("td", value));
      return tr;
    }));
    const workers = job.workers.filter((w) => w.status !== "stopped");
    document.querySelector("#workers tbody").replaceChildren(...(workers.length ? workers.map((w) => {
      const tr = document.createElement("tr");
      for (const value of [w.worker_key, w.stage, w.status, w.current_label || "-", w.bytes_text, w.speed_text,
        w.processed, w.errors]) tr.append(el("td", value));
      return tr;
    }) : [emptyRow("no workers running", 8)]));
  }

  function candidates(item) {
    if (!item.candidates.length) return el("span", "-");
    const details = el("details");
    details.append(el("summary", item.candidates.length + " considered"));
    const list = el("ol", undefined, "candidates");
    for (const c of item.candidates) {
      const quality = c.served_quality || c.advertised_quality || "";
      const score = c.score !== undefined ? " · score " + Number(c.score).toFixed(2) : "";
      const why = c.rejected ? " · not offered: " + c.rejected : "";
      list.append(el("li", c.source + " " + (c.title || c.remote_id) + (quality ? " · " + quality : "") + score + why));
    }
    details.append(list);
    return details;
  }

  function itemRow(item) {
    const tr = document.createElement("tr");
    tr.dataset.itemId = item.id;
    tr.dataset.status = item.status;
    const reason = [item.failure_class ? item.failure_class.replaceAll("_", " ") : "", item.error, item.skip_reason]
      .filter(Boolean).join(": ");
    for (const value of [item.id, item.stage, item.label || item.item_key, item.status, item.attempts, reason || "-"]) {
      tr.append(el("td", value));
    }
    tr.append(cell(candidates(item)));
    const actions = el("td", undefined, "actions");
    if (RETRYABLE.includes(item.status)) actions.append(button("Retry", "retry_item"));
    if (FORCEABLE.includes(item.status)) actions.append(button("Force retry", "force_retry_item"));
    tr.append(actions);
    return tr;
  }

  async function errorText(response) {
    const body = await response.json().catch(() => ({}));
    return body.error || response.status + " " + response.statusText;
  }

  async function loadItems(append) {
    const status = new FormData(filter).get("status");
    const after = append ? nextAfter : 0;
    const response = await fetch("/api/jobs/" + jobId + "/items?limit=100&status=" + encodeURIComponent(status) + "&after_id=" + after);
    if (!response.ok) { message.textContent = await errorText(response); return; }
    const data = await response.json();
    const rows = data.items.map(itemRow);
    if (append) itemsBody.append(...rows); else itemsBody.replaceChildren(...rows);
    if (!append && !rows.length) itemsBody.append(emptyRow("no items" + (status ? " " + status : ""), 8));
    nextAfter = data.next_after_id;
    more.hidden = data.items.length < 100;
  }

  async function loadEvents() {
    const response = await fetch("/api/jobs/" + jobId + "?events=50");
    if (!response.ok) return;
    const job = await response.json();
    showJob(job);
    document.getElementById("events").replaceChildren(...job.events.map((e) =>
      el("li", new Date(e.created_at).toLocaleTimeString() + " " + (e.message || e.event_type))));
  }

  async function command(body) {
    message.textContent = "";
    const response = await fetch("/api/jobs/" + jobId + "/commands", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    if (!response.ok) { message.textContent = await errorText(response); return; }
    message.textContent = "sent";
  }

  filter.addEventListener("change", () => loadItems(false));
  more.addEventListener("click", () => loadItems(true));
  document.getElementById("retry-failed").addEventListener("click", () => command({command: "retry_failed"}));
  itemsBody.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-command]");
    if (button) command({command: button.dataset.command, item_id: Number(button.closest("tr").dataset.itemId)});
  });

  // Items and events are re-read at most every 2 s while the job changes.
  let refreshTimer = null;
  const source = new EventSource("/api/events?job_id=" + jobId);
  source.addEventListener("open", () => { live.textContent = "live"; });
  source.addEventListener("error", () => { live.textContent = "reconnecting…"; });
  source.addEventListener("stream_error", (event) => {
    live.textContent = "live updates interrupted (" + JSON.parse(event.data).error + ")";
  });
  source.addEventListener("job", (event) => {
    const job = JSON.parse(event.data);
    showJob(job);
    root.dispatchEvent(new CustomEvent("job-updated", {detail: job}));
    if (refreshTimer === null) {
      refreshTimer = setTimeout(() => { refreshTimer = null; loadItems(false); loadEvents(); }, 2000);
    }
  });
  loadItems(false);
  loadEvents();
})();
