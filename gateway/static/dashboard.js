// Live updates of the dashboard: job rows are updated in place from the scheduler's WatchJobs stream (SSE).
(function () {
  const table = document.querySelector("#jobs tbody");
  const live = document.getElementById("live");

  function cell(row, name) { return row.querySelector("td." + name); }

  function render(row, job) {
    row.dataset.status = job.status;
    cell(row, "status").innerHTML = "";
    const badge = document.createElement("span");
    badge.className = "badge " + job.status;
    badge.textContent = job.queue_label;
    cell(row, "status").appendChild(badge);
    cell(row, "lane").textContent = job.lane;
    cell(row, "stage").textContent = job.progress.stage;
    cell(row, "progress").querySelector("progress").value = job.progress.percent;
    cell(row, "progress").querySelector(".count").textContent = job.progress.done + " / " + job.progress.total;
    cell(row, "failed").textContent = job.stages.reduce((n, s) => n + Number(s.failed || 0), 0);
    cell(row, "speed").textContent = job.speed_text;
    row.querySelector('[data-command="pause"]').hidden = !job.can_pause;
    row.querySelector('[data-command="resume"]').hidden = !job.can_resume;
    row.querySelector('[data-command="cancel"]').hidden = !job.can_cancel;
  }

  function newRow(job) {
    const row = document.createElement("tr");
    row.dataset.jobId = job.id;
    const name = document.createElement("td");
    name.className = "name";
    name.textContent = job.display_name;
    const type = document.createElement("small");
    type.textContent = job.job_type;
    name.appendChild(type);
    const id = document.createElement("td");
    id.textContent = job.id;
    row.append(id, name);
    for (const cls of ["status", "lane", "stage", "progress", "failed", "speed", "actions"]) {
      const td = document.createElement("td");
      td.className = cls;
      row.appendChild(td);
    }
    cell(row, "progress").innerHTML = '<progress max="100" value="0"></progress><span class="count"></span>';
    for (const command of ["pause", "resume", "cancel"]) {
      const button = document.createElement("button");
      button.dataset.command = command;
      button.textContent = command[0].toUpperCase() + command.slice(1);
      cell(row, "actions").appendChild(button);
    }
    const empty = table.querySelector("tr.empty");
    if (empty) empty.remove();
    table.prepend(row);
    return row;
  }

  table.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-command]");
    if (!button) return;
    const jobId = button.closest("tr").dataset.jobId;
    const response = await fetch("/api/jobs/" + jobId + "/commands", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({command: button.dataset.command}),
    });
    const body = await response.json();
    live.textContent = response.ok ? "sent " + button.dataset.command + " to job " + jobId : body.error;
  });

  const source = new EventSource("/api/events");
  source.addEventListener("open", () => { live.textContent = "live"; });
  source.addEventListener("error", () => { live.textContent = "reconnecting…"; });
  source.addEventListener("job", (event) => {
    const job = JSON.parse(event.data);
    const row = table.querySelector('tr[data-job-id="' + job.id + '"]') || newRow(job);
    render(row, job);
  });
})();
