// The dashboard, live: job rows are updated in place from the scheduler's WatchJobs stream (SSE), the
// stats cards are refreshed when a job finishes, and a rejected job command shows its reason in the row.
(function () {
  const table = document.querySelector("#jobs tbody");
  const rowTemplate = document.getElementById("job-row");
  const live = document.getElementById("live");
  const FINISHED = ["completed", "completed_with_errors", "failed", "canceled"];
  const COMMANDS = ["pause", "resume", "cancel"];

  function cell(row, name) { return row.querySelector("td." + name); }

  // Show a job in its row; return true when this update is the one that finishes the job.
  function render(row, job) {
    const finishing = FINISHED.includes(job.status) && !FINISHED.includes(row.dataset.status);
    row.dataset.status = job.status;
    const badge = cell(row, "status").querySelector(".badge");
    badge.className = "badge " + job.status;
    badge.textContent = job.queue_label;
    cell(row, "status").querySelector(".note").textContent = job.note;
    cell(row, "lane").textContent = job.lane;
    cell(row, "stage").textContent = job.progress.stage;
    cell(row, "progress").querySelector("progress").value = job.progress.percent;
    cell(row, "progress").querySelector(".count").textContent = job.progress.done + " / " + job.progress.total;
    cell(row, "failed").textContent = job.failed;
    cell(row, "speed").textContent = job.speed_text;
    for (const command of COMMANDS) {
      row.querySelector('[data-command="' + command + '"]').hidden = !job["can_" + command];
    }
    return finishing;
  }

  function newRow(job) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.jobId = job.id;
    cell(row, "id").textContent = job.id;
    cell(row, "name").querySelector(".title").textContent = job.display_name;
    cell(row, "name").querySelector(".type").textContent = job.job_type;
    row.querySelector("a.details").href = "/api/jobs/" + job.id;
    const empty = table.querySelector("tr.empty");
    if (empty) empty.remove();
    table.prepend(row);
    return row;
  }

  async function errorText(response) {
    const body = await response.json().catch(() => ({}));
    return body.error || response.status + " " + response.statusText;
  }

  async function refreshStats() {
    try {
      const response = await fetch("/api/stats");
      if (!response.ok) throw new Error(await errorText(response));
      const data = await response.json();
      for (const value of document.querySelectorAll("[data-stat]")) {
        const name = value.dataset.stat;
        value.textContent = name in data.stats ? data.stats[name] : data[name];
      }
    } catch (error) {
      live.textContent = "could not refresh the stats: " + error.message;
    }
  }

  table.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-command]");
    if (!button) return;
    const row = button.closest("tr");
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
        if (current.ok) render(row, await current.json());
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
  source.addEventListener("job", (event) => {
    const job = JSON.parse(event.data);
    const row = table.querySelector('tr[data-job-id="' + job.id + '"]') || newRow(job);
    if (render(row, job)) refreshStats();
  });
})();
