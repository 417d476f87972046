// cwdesk console: what every page shares — the clock, sending changes with the CSRF token, forms that show the
// server's field-level errors, and following a job's progress over server-sent events.
// Nothing here stores anything in the browser (no localStorage, no sessionStorage, no readable cookie).
"use strict";

const cw = (() => {
  const csrfToken = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  function startClock() {
    const clock = document.getElementById("clock");
    if (!clock) return;
    const tick = () => {
      const now = new Date();
      clock.textContent = now.toTimeString().slice(0, 8);
    };
    tick();
    setInterval(tick, 1000);
  }

  // Every change goes through here: the CSRF header is added, the answer is JSON {ok, message, errors}.
  async function send(url, { method = "POST", body = null, json = null } = {}) {
    const headers = { "X-CSRF-Token": csrfToken(), Accept: "application/json" };
    let payload = body;
    if (json !== null) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    } catch (error) {
      return { ok: false, message: "The console did not answer: " + error.message, errors: {} };
    }
    let data;
    try {
      data = await response.json();
    } catch (_error) {
      data = { ok: response.ok, message: response.ok ? "" : "The console answered " + response.status + ".", errors: {} };
    }
    if (!response.ok && data.ok === undefined) data.ok = false;
    if (!data.errors) data.errors = {};
    return data;
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.status === 401) {
      window.location.href = "/signin";
      throw new Error("signed out");
    }
    if (!response.ok) throw new Error("The console answered " + response.status);
    return response.json();
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((node) => (node.textContent = ""));
    const message = form.querySelector(".form-message");
    if (message) {
      message.textContent = "";
      message.className = "form-message";
    }
  }

  // Show {ok:false, message, errors:{field: text}} next to the fields (each has a [data-error-for=field]).
  function showResult(form, result) {
    clearErrors(form);
    const message = form.querySelector(".form-message");
    for (const [field, text] of Object.entries(result.errors || {})) {
      const slot = form.querySelector('[data-error-for="' + CSS.escape(field) + '"]');
      if (slot) slot.textContent = text;
      else if (message) message.textContent += (message.textContent ? " " : "") + field + ": " + text;
    }
    if (message && result.message) {
      message.textContent = result.message + (message.textContent ? " " + message.textContent : "");
    }
    if (message) message.className = "form-message " + (result.ok ? "ok" : "error");
  }

  // A form with class js-form posts its fields (FormData) and calls onDone(result) when the server says ok.
  // With data-preview="URL" it asks first: the server's preview of the change in a dialog, and only its
  // Confirm button sends the form, with the preview's confirmation token (the server refuses it without).
  function wireForm(form, onDone) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = new FormData(form);
      const previewUrl = form.getAttribute("data-preview");
      if (previewUrl) {
        const confirmation = await askFirst(previewUrl, form);
        if (!confirmation) return;
        body.set("confirmation", confirmation);
      }
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      const result = await send(form.getAttribute("action"), { body });
      if (button) button.disabled = false;
      showResult(form, result);
      if (result.ok && onDone) onDone(result);
    });
  }

  // ---- ask first (issue 15 §2): the preview {title, lines, confirm_label, confirmation} in one shared dialog
  function confirmDialog() {
    let dialog = document.getElementById("confirm-dialog");
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.id = "confirm-dialog";
    const title = document.createElement("h2");
    const lines = document.createElement("ul");
    lines.className = "confirm-lines";
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.id = "confirm-cancel";
    cancel.textContent = "Cancel";
    const confirm = document.createElement("button");
    confirm.type = "button";
    confirm.id = "confirm-ok";
    confirm.className = "danger";
    buttons.append(cancel, confirm);
    dialog.append(title, lines, buttons);
    document.body.appendChild(dialog);
    return dialog;
  }

  async function askFirst(previewUrl, form) {
    let answer;
    try {
      // Not getJSON: a refused preview (e.g. an inactive contact) answers 400 with the reason to show.
      const response = await fetch(previewUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.status === 401) {
        window.location.href = "/signin";
        return null;
      }
      answer = await response.json();
    } catch (error) {
      showResult(form, { ok: false, message: "The preview could not be read: " + error.message, errors: {} });
      return null;
    }
    if (!answer.ok || !answer.preview) {
      showResult(form, answer);
      return null;
    }
    const dialog = confirmDialog();
    dialog.querySelector("h2").textContent = answer.preview.title;
    const list = dialog.querySelector(".confirm-lines");
    list.replaceChildren();
    for (const text of answer.preview.lines) {
      const item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    }
    const ok = dialog.querySelector("#confirm-ok");
    ok.textContent = answer.preview.confirm_label;
    return new Promise((resolve) => {
      const done = (value) => {
        ok.onclick = null;
        dialog.querySelector("#confirm-cancel").onclick = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(value);
      };
      ok.onclick = () => done(answer.preview.confirmation);
      dialog.querySelector("#confirm-cancel").onclick = () => done(null);
      dialog.onclose = () => done(null);
      dialog.showModal();
    });
  }

  // Follow a job: counter, bar, per-record log; reconnects by itself (EventSource) and stops when it ends.
  function followJob(container, jobId, onFinished) {
    const counter = container.querySelector(".job-counter");
    const bar = container.querySelector(".progress .bar");
    const log = container.querySelector(".job-log");
    const state = container.querySelector(".job-state");
    const actions = container.querySelector(".job-actions");
    const seen = new Set();
    const source = new EventSource("/jobs/" + encodeURIComponent(jobId) + "/events");
    const update = (snapshot) => {
      const done = snapshot.done, total = snapshot.total;
      if (counter) {
        counter.textContent = done + " / " + total + "  ·  ok " + snapshot.ok + "  ·  error " + snapshot.error +
          "  ·  skipped " + snapshot.skipped + (snapshot.rolled_back ? "  ·  rolled back " + snapshot.rolled_back : "");
      }
      if (bar) bar.style.width = (total ? Math.round((100 * done) / total) : 0) + "%";
      if (state) {
        state.textContent = snapshot.state;
        state.className = "job-state badge badge-" + snapshot.state;
      }
      if (actions) {
        actions.querySelectorAll("[data-when]").forEach((node) => {
          node.hidden = !node.getAttribute("data-when").split(" ").includes(snapshot.state);
        });
      }
    };
    source.addEventListener("record", (event) => {
      const line = JSON.parse(event.data);
      if (seen.has(line.seq)) return;
      seen.add(line.seq);
      if (!log) return;
      const row = document.createElement("div");
      row.className = line.outcome;
      const mark = line.outcome === "ok" ? "✓" : line.outcome === "error" ? "✕" : line.outcome === "rolled_back" ? "↶" : "○";
      const said = line.outcome === "rolled_back" ? "rolled back" : line.outcome;
      row.textContent = mark + " " + said + "  " + line.label + (line.message ? "  — " + line.message : "");
      log.appendChild(row);
      log.scrollTop = log.scrollHeight;
    });
    source.addEventListener("progress", (event) => update(JSON.parse(event.data)));
    // ---- job page (issue 15 §5): the steps table follows the journal live, and is read again when the job ends
    const steps = document.querySelector('[data-job-steps="' + CSS.escape(String(jobId)) + '"]');
    source.addEventListener("step", (event) => {
      if (steps) setStep(steps, JSON.parse(event.data));
    });
    source.addEventListener("end", (event) => {
      update(JSON.parse(event.data));
      source.close();
      if (steps) refreshJob(jobId, steps);
      if (onFinished) onFinished(JSON.parse(event.data));
    });
    return source;
  }

  // The header menu on narrow screens (issue 15 §4): a real button with aria-expanded; Escape closes it and gives
  // the focus back to the button, a click elsewhere closes it too.
  function wireMenu() {
    const button = document.getElementById("menu-button");
    const menu = document.getElementById("topbar-menu");
    if (!button || !menu) return;
    const setOpen = (open) => {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    };
    button.addEventListener("click", () => setOpen(button.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        button.focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (button.getAttribute("aria-expanded") === "true" && !menu.contains(event.target) && event.target !== button) {
        setOpen(false);
      }
    });
  }

  // On a phone every table shows one row as a card of "heading value" lines (console.css): each cell carries its
  // column's heading as data-label. Rows added later (live job steps, a loaded client panel) are labelled as they
  // appear.
  function labelTables() {
    document.querySelectorAll("table.grid").forEach((table) => {
      const headings = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent.trim());
      table.querySelectorAll("tbody tr").forEach((row) => {
        Array.from(row.children).forEach((cell, i) => {
          if (headings[i] && cell.colSpan === 1 && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", headings[i]);
          }
        });
      });
    });
  }

  function keepTablesLabelled() {
    labelTables();
    let pending = false;
    new MutationObserver(() => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; labelTables(); });
    }).observe(document.body, { childList: true, subtree: true });
  }

  function setStep(table, step) {
    const row = table.querySelector('tr[data-step-key="' + CSS.escape(step.key) + '"]');
    if (!row) return;
    if (step.state) {
      const badge = row.querySelector(".step-state");
      badge.textContent = step.state;
      badge.className = "badge badge-" + step.state + " step-state";
    }
    if (step.message !== undefined && step.message !== null) row.querySelector(".step-message").textContent = step.message;
  }

  // The stored truth once the job has ended: every step, the job's message, and what a rollback did.
  async function refreshJob(jobId, table) {
    let job;
    try {
      job = await getJSON("/api/jobs/" + encodeURIComponent(jobId));
    } catch (_error) {
      return;
    }
    for (const step of job.steps) setStep(table, step);
    const message = document.getElementById("job-message");
    if (message) {
      message.textContent = job.message;
      message.hidden = !job.message;
    }
    const report = document.getElementById("rollback-report");
    if (report) {
      const body = report.querySelector("tbody");
      body.replaceChildren();
      for (const line of job.rollback) {
        const tr = document.createElement("tr");
        for (const text of [line.key, line.what, line.message]) {
          const td = document.createElement("td");
          td.textContent = text;
          tr.appendChild(td);
        }
        body.appendChild(tr);
      }
      report.hidden = job.rollback.length === 0;
    }
    const hint = document.getElementById("job-console-hint");
    if (hint) hint.hidden = !["failed", "partial"].includes(job.state);
    table.dataset.final = job.state;
  }

  // ---- confirm dialogs: a button with data-confirm-dialog="ID" opens <dialog id="ID"> (its form carries the
  // server's confirmation token); data-confirm-close closes it. Delegated, so panels loaded later work too.
  function wireConfirmDialogs() {
    document.addEventListener("click", (event) => {
      const opener = event.target.closest("[data-confirm-dialog]");
      if (opener) {
        const dialog = document.getElementById(opener.getAttribute("data-confirm-dialog"));
        if (dialog && !dialog.open) dialog.showModal();
        return;
      }
      const closer = event.target.closest("[data-confirm-close]");
      if (closer) closer.closest("dialog").close();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    startClock();
    wireMenu();
    keepTablesLabelled();
    wireConfirmDialogs();
    document.querySelectorAll("[data-follow-job]").forEach((node) => {
      followJob(node, node.getAttribute("data-follow-job"));
    });
    document.querySelectorAll("form.js-job-action").forEach((form) => {
      wireForm(form, () => window.location.reload());
    });
    document.querySelectorAll("form.js-rollback-confirm").forEach((form) => {
      wireForm(form, () => window.location.assign(form.getAttribute("data-next")));
    });
  });

  return { send, getJSON, wireForm, showResult, clearErrors, followJob, csrfToken };
})();
