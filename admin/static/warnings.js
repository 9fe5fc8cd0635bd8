// Live delivery progress of a warning: polls /warnings/{id}/progress (same origin, the
// officer's session) and updates the bar and the counts until nothing is pending.
"use strict";
(function () {
  const box = document.getElementById("progress");
  if (!box || !box.dataset.progressUrl) {
    return;
  }
  const bar = box.querySelector("progress");
  const every = 2000;

  function show(data) {
    for (const name of ["sent", "failed", "pending", "skipped", "total"]) {
      const cell = box.querySelector('[data-count="' + name + '"]');
      if (cell) {
        cell.textContent = String(data[name]);
      }
    }
    if (bar) {
      bar.max = Math.max(1, data.total);
      bar.value = data.sent + data.failed + data.skipped;
    }
  }

  async function poll() {
    try {
      const response = await fetch(box.dataset.progressUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const data = await response.json();
        show(data);
        if (data.done) {
          box.dataset.done = "true";
          return;
        }
      }
    } catch (error) {
      // The network hiccuped; the next poll tries again.
    }
    window.setTimeout(poll, every);
  }

  window.setTimeout(poll, 500);
})();
