// The quick launch form: POST /api/jobs with what the form says; the new job then appears in the
// table from the live stream. A refused job shows the scheduler's reason under the form.
(function () {
  const form = document.getElementById("launch");
  const message = document.getElementById("launch-message");

  function ids(text) {
    return text.split(/[\s,]+/).filter(Boolean).map(Number);
  }

  function body() {
    const data = new FormData(form);
    return {
      job_type: data.get("job_type"),
      sources: data.getAll("sources"),
      download_sources: data.getAll("download_sources"),
      playlist_ids: ids(data.get("playlist_ids")),
      limit: Number(data.get("limit") || 0),
      track_limit: Number(data.get("track_limit") || 0),
      workers: Number(data.get("workers") || 0),
      upload_backend: data.get("upload_backend").trim(),
      no_lyrics: data.has("no_lyrics"),
      overwrite_lyrics: data.has("overwrite_lyrics"),
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const request = body();
    message.className = "message";
    if (request.playlist_ids.some((id) => !Number.isInteger(id) || id < 1)) {
      message.classList.add("error");
      message.textContent = "playlist ids are whole numbers (catalog ids), separated by commas or spaces";
      return;
    }
    button.disabled = true;
    message.textContent = "starting…";
    try {
      const response = await fetch("/api/jobs", {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify(request),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        message.textContent = "job #" + answer.id + " " + answer.queue_label + ": " + answer.display_name;
      } else {
        message.classList.add("error");
        message.textContent = answer.error || response.status + " " + response.statusText;
      }
    } catch (error) {
      message.classList.add("error");
      message.textContent = "could not reach the console server: " + error.message;
    } finally {
      button.disabled = false;
    }
  });
})();
