// The dashboard, live: job rows are updated in place from the gateway's job stream (SSE); the summary
// cards, busy workers and recent events come pushed on the same stream (the gateway computes them once
// per update for every browser); a rejected job command shows its reason in the row. Each updated row
// is announced as a "job-updated" DOM event (the task tree, tree.js, refreshes itself from it).
(function () {
  const table = document.querySelector("#jobs tbody");
  const rowTemplate = document.getElementById("job-row");
  const live = document.getElementById("live");
  const events = document.getElementById("recent-events");
  const workers = document.querySelector("#busy-workers tbody");
  const COMMANDS = ["pause", "resume", "cancel"];

  function cell(row, name) { return row.querySelector("td." + name); }

  function render(row, job) {
    row.dataset.status = job.status;
    const badge = cell(row, "status").querySelector(".badge");
    badge.className = "badge " + job.status;
    badge.textContent = job.queue_label;
    const note = cell(row, "status").querySelector(".note");
    note.textContent = job.note;
    if (/^disk low/.test(job.note)) note.append(" ", Object.assign(document.createElement("a"), { href: "/settings#library-root", textContent: "Set a new library root" }));
    cell(row, "lane").textContent = job.lane;
    cell(row, "stage").textContent = job.progress.stage;
    cell(row, "progress").querySelector("progress").value = job.progress.percent;
    cell(row, "progress").querySelector(".count").textContent = job.progress_text;
    cell(row, "workers").textContent = job.active_workers;
    cell(row, "failed").textContent = job.failures_text;
    for (const command of COMMANDS) {
      row.querySelector('[data-command="' + command + '"]').hidden = !job["can_" + command];
    }
  }

  function update(row, job) {
    render(row, job);
    row.dispatchEvent(new CustomEvent("job-updated", {bubbles: true, detail: job}));
  }

  function newRow(job) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.jobId = job.id;
    cell(row, "id").querySelector(".number").textContent = job.id;
    cell(row, "name").querySelector(".title").textContent = job.display_name;
    cell(row, "name").querySelector(".type").textContent = job.job_type;
    cell(row, "name").querySelector(".scope").textContent = job.scope_summary;
    row.querySelector("a.details").href = "/jobs/" + job.id;
    const empty = table.querySelector("tr.empty");
    if (empty) empty.remove();
    table.prepend(row);
    return row;
  }

  async function errorText(response) {
    const body = await response.json().catch(() => ({}));
    return body.error || response.status + " " + response.statusText;
  }

  function showEvents(list) {
    events.replaceChildren(...list.map((event) => {
      const item = document.createElement("li");
      const job = document.createElement("span");
      job.className = "job";
      job.textContent = "#" + event.job_id;
      item.append(job, " " + (event.message || event.event_type));
      return item;
    }));
  }

  function showWorkers(list) {
    if (!list.length) {
      const row = document.createElement("tr");
      row.className = "empty";
      const td = document.createElement("td");
      td.colSpan = 6;
      td.textContent = "no worker is busy";
      row.append(td);
      workers.replaceChildren(row);
      return;
    }
    workers.replaceChildren(...list.map((w) => {
      const row = document.createElement("tr");
      for (const value of ["#" + w.job_id + " " + w.job_name, w.worker_key, w.current_label || "-", w.bytes_text,
        w.speed_text, w.processed]) {
        const td = document.createElement("td");
        td.textContent = value;
        row.append(td);
      }
      return row;
    }));
  }

  function showSummary(data) {
    for (const value of document.querySelectorAll("[data-card]")) {
      value.textContent = data.summary[value.dataset.card];
    }
    showEvents(data.summary.events);
    showWorkers(data.workers);
  }

  table.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-command]");
    if (!button) return;
    const row = button.closest("tr.job");
    const message = row.querySelector(".message");
    const jobId = row.dataset.jobId;
    button.disabled = true;
    message.textContent = "";
    try {
      const response = await fetch("/api/jobs/" + jobId + "/commands", {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({command: button.dataset.command}),
      });
      if (!response.ok) {
        message.textContent = await errorText(response);
        const current = await fetch("/api/jobs/" + jobId + "?events=0");
        if (current.ok) update(row, await current.json());
      }
    } catch (error) {
      message.textContent = "could not reach the console server: " + error.message;
    } finally {
      button.disabled = false;
    }
  });

  // "stream_error" is the scheduler's reason for ending the stream; "error" is the browser's own
  // event when the connection drops (it then reconnects by itself).
  let interruption = "";
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => { interruption = ""; live.textContent = "live"; });
  source.addEventListener("error", () => { live.textContent = interruption + "reconnecting…"; });
  source.addEventListener("stream_error", (event) => {
    interruption = "live updates interrupted (" + JSON.parse(event.data).error + "); ";
    live.textContent = interruption;
  });
  source.addEventListener("summary", (event) => showSummary(JSON.parse(event.data)));
  source.addEventListener("job", (event) => {
    const job = JSON.parse(event.data);
    update(table.querySelector('tr.job[data-job-id="' + job.id + '"]') || newRow(job), job);
  });
})();
