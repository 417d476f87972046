// cwdesk console, the Automate view: search the client list as you type (the server renders and escapes the rows),
// and a client's edits. Each edit is sent twice to the same route: first without confirm (the server answers a
// preview: what will change, before -> after, nothing written), shown in a dialog; then, once confirmed, with
// confirm=yes. The saved change is announced (aria-live) and the client's page is re-read from the server.
// Nothing is stored in the browser; the address bar follows the search so reload and back show the same list.
"use strict";

(() => {
  const SEARCH_DELAY_MS = 250;

  function wireSearch(form) {
    const input = form.querySelector('input[name="q"]');
    const rows = document.getElementById("automate-rows");
    const count = document.getElementById("automate-count");
    if (!input || !rows) return;
    let timer = null;
    let asked = 0;
    const search = async () => {
      const text = input.value.trim();
      const mine = ++asked;
      const query = text ? "?q=" + encodeURIComponent(text) : "";
      let response;
      try {
        response = await fetch("/automate/rows" + query, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      } catch (error) {
        if (count) count.textContent = "The console did not answer: " + error.message;
        return;
      }
      if (response.status === 401 || response.redirected) {
        window.location.href = "/signin"; // the session ended: a redirect to sign-in is no list of rows
        return;
      }
      const html = await response.text();
      if (mine !== asked) return; // an older answer arriving late must not replace a newer one
      rows.innerHTML = html; // rendered and escaped by the server (automate_rows.html)
      const shown = rows.querySelectorAll("tr[data-client-id]").length;
      if (count) count.textContent = shown + " client(s)" + (text ? ' whose name contains “' + text + '”' : "");
      window.history.replaceState(null, "", "/automate" + query);
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, SEARCH_DELAY_MS);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(timer);
      search();
    });
  }

  // The preview in the dialog; resolves true when the user confirms. Every value is set as text (never as HTML).
  function askToConfirm(form, preview) {
    const dialog = document.getElementById("automate-confirm");
    if (!dialog) return Promise.resolve(false);
    document.getElementById("automate-confirm-message").textContent = preview.message;
    const body = dialog.querySelector("#automate-confirm-changes tbody");
    body.replaceChildren();
    for (const change of preview.changes || []) {
      const row = document.createElement("tr");
      for (const value of [change.what, change.before, change.after]) {
        const cell = document.createElement("td");
        cell.textContent = value;
        row.appendChild(cell);
      }
      body.appendChild(row);
    }
    const yes = document.getElementById("automate-confirm-yes");
    const no = document.getElementById("automate-confirm-no");
    yes.textContent = form.getAttribute("data-confirm") || "Confirm";
    yes.className = preview.danger ? "danger" : "primary";
    return new Promise((resolve) => {
      const finish = (answer) => {
        yes.removeEventListener("click", onYes);
        no.removeEventListener("click", onNo);
        dialog.removeEventListener("cancel", onNo);
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      const onYes = () => finish(true);
      const onNo = () => finish(false);
      yes.addEventListener("click", onYes);
      no.addEventListener("click", onNo);
      dialog.addEventListener("cancel", onNo); // Escape
      dialog.showModal();
      no.focus();
    });
  }

  function announce(text, good) {
    const status = document.getElementById("automate-status");
    if (!status) return;
    status.textContent = text;
    status.className = "automate-status " + (good ? "ok" : "error");
  }

  function savedText(result) {
    const changed = (result.changes || []).map((c) => c.what + ": " + c.before + " → " + c.after);
    return "Saved. " + result.message + (changed.length ? " (" + changed.join("; ") + ")" : "");
  }

  // After a save, the client's section is read again from the server, so every figure on the page is current.
  async function refreshClient() {
    const response = await fetch(window.location.pathname, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok || response.redirected) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("automate-client");
    const section = document.getElementById("automate-client");
    if (fresh && section) {
      const opened = [...section.querySelectorAll("details[open]")].map((node) => node.id);
      section.replaceWith(fresh);
      opened.forEach((id) => { const node = document.getElementById(id); if (node) node.open = true; });
      wireEdits(fresh);
    }
  }

  function wireEdits(root) {
    root.querySelectorAll("form.js-automate-edit").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const button = form.querySelector('button[type="submit"]');
        if (button) button.disabled = true;
        try {
          const fields = new FormData(form);
          const preview = await cw.send(form.getAttribute("action"), { body: fields });
          cw.showResult(form, preview.ok ? { ok: true, message: "", errors: {} } : preview);
          if (!preview.ok) return;
          if (preview.nothing_to_do) {
            cw.showResult(form, { ok: true, message: preview.message, errors: {} });
            return;
          }
          if (!(await askToConfirm(form, preview))) {
            cw.showResult(form, { ok: true, message: "Nothing was changed.", errors: {} });
            return;
          }
          fields.append("confirm", "yes");
          const result = await cw.send(form.getAttribute("action"), { body: fields });
          if (!result.ok) {
            cw.showResult(form, result);
            announce(result.message, false);
            return;
          }
          announce(savedText(result), true);
          await refreshClient();
        } finally {
          if (button && button.isConnected) button.disabled = false;
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("automate-search");
    if (form) wireSearch(form);
    const client = document.getElementById("automate-client");
    if (client) wireEdits(client);
  });
})();
