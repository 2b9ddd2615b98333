// The maintenance page: scan local duplicates and dedupe them, results shown in place.
(function () {
  "use strict";
  const body = document.querySelector("#duplicates tbody");
  const result = document.getElementById("result");
  const message = document.getElementById("maintenance-message");

  const el = window.el;

  const cell = window.labelledCell;

  function groupRow(group) {
    const paths = el("ul", undefined, "paths");
    for (const location of group.locations) {
      const item = el("li", location.locator, location.keep ? "keep" : "");
      item.append(location.keep ? " — kept" : " — deactivate");
      if (!location.exists) item.append(el("span", " (file missing)", "gone"));
      paths.append(item);
    }
    const tr = el("tr");
    tr.append(cell("Song", group.song_name), cell("Library", group.root_path || group.backend_name),
      cell("Paths", paths), cell("Kept because", group.keep_reason));
    return tr;
  }

  function show(groups, emptyText) {
    body.replaceChildren(...groups.map(groupRow));
    if (!groups.length) {
      const tr = el("tr");
      tr.append(cell("", emptyText));
      body.replaceChildren(tr);
    }
  }

  async function call(url, method) {
    const response = await fetch(url, { method: method });
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    if (!response.ok) throw new Error(data.error || response.status + " " + response.statusText);
    return data;
  }

  async function run(button, work) {
    button.disabled = true;
    message.textContent = "";
    try {
      await work();
    } catch (error) {
      message.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }

  document.getElementById("scan").addEventListener("click", (event) => run(event.target, async () => {
    const scan = await call("/api/maintenance/local-duplicates", "GET");
    result.hidden = false;
    result.textContent = scan.total_groups + " group(s) of duplicates; dedupe would deactivate " +
      scan.duplicate_locations + " location(s)." + (scan.files_checked ? " " + scan.files_checked : "");
    show(scan.groups, "no local duplicates");
  }));

  document.getElementById("dedupe").addEventListener("click", (event) => run(event.target, async () => {
    const report = await call("/api/maintenance/local-duplicates/dedupe", "POST");
    result.hidden = false;
    result.textContent = "Done: " + report.summary + ".";
    show(report.details, "nothing to dedupe");
  }));
})();
