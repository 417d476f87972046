// The client workspace: the list (C1), the detail panel (C2), its edit dialogs (C3) and the bulk panel (C4).
// The list is one compact JSON document filtered here as the user types; only the rows in view are in the DOM
// (a fixed row height), so 10,000 companies filter and scroll without waiting. Every text goes in with
// textContent; the detail panel is HTML rendered and escaped by the server.
"use strict";

(() => {
  const ROW_HEIGHT = 44;
  const OVERSCAN = 8;
  const state = {
    columns: {}, rows: [], haystack: [], complete: true, total: 0,
    statusFilter: "active", query: "", visible: [], selected: new Set(), current: null, serverSearch: 0,
  };
  const $ = (id) => document.getElementById(id);
  let rowsBox, spacer, countLabel;

  function column(row, name) { return row[state.columns[name]]; }

  function indexRows(payload) {
    state.columns = {};
    payload.columns.forEach((name, i) => (state.columns[name] = i));
    state.rows = payload.rows;
    state.total = payload.total;
    state.complete = payload.complete;
    // One lower-cased string per row: a keystroke is then one substring test per company.
    state.haystack = state.rows.map((row) =>
      (column(row, "name") + "\u0001" + column(row, "identifier") + "\u0001" + column(row, "city")).toLowerCase());
  }

  function isActive(row) { return String(column(row, "status")).toLowerCase() === "active"; }

  function applyFilter() {
    const query = state.query.toLowerCase();
    const activeOnly = state.statusFilter === "active";
    const visible = [];
    const rows = state.rows, hay = state.haystack;
    for (let i = 0; i < rows.length; i++) {
      if (activeOnly && !isActive(rows[i])) continue;
      if (query && hay[i].indexOf(query) === -1) continue;
      visible.push(i);
    }
    state.visible = visible;
    let base = 0;
    for (let i = 0; i < rows.length; i++) if (!activeOnly || isActive(rows[i])) base++;
    countLabel.textContent = visible.length + " of " + (state.complete ? base : state.total);
    spacer.style.height = visible.length * ROW_HEIGHT + "px";
    rowsBox.scrollTop = 0;
    renderWindow();
    selectionChanged();
  }

  function makeRow(index, top) {
    const row = state.rows[index];
    const id = column(row, "id");
    const node = document.createElement("div");
    node.className = "client-row" + (state.current === id ? " selected" : "");
    node.style.top = top + "px";
    node.dataset.id = id;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = state.selected.has(id);
    box.setAttribute("aria-label", "select " + column(row, "name"));
    box.addEventListener("click", (event) => {
      event.stopPropagation();
      if (box.checked) state.selected.add(id); else state.selected.delete(id);
      selectionChanged();
    });
    const names = document.createElement("div");
    names.className = "names";
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = column(row, "name");
    const sub = document.createElement("div");
    sub.className = "sub";
    const place = [column(row, "city"), column(row, "state")].filter(Boolean).join(", ");
    sub.textContent = column(row, "identifier") + (place ? " · " + place : "");
    names.append(name, sub);
    const badge = document.createElement("span");
    const status = String(column(row, "status"));
    badge.className = "badge status-" + status.toLowerCase();
    badge.textContent = status;
    node.append(box, names, badge);
    node.addEventListener("click", () => openClient(id));
    return node;
  }

  function renderWindow() {
    const first = Math.max(0, Math.floor(rowsBox.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const count = Math.ceil(rowsBox.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
    const last = Math.min(state.visible.length, first + count);
    const fragment = document.createDocumentFragment();
    for (let i = first; i < last; i++) fragment.appendChild(makeRow(state.visible[i], i * ROW_HEIGHT));
    spacer.replaceChildren(fragment);
  }

  // Selected companies the list's filter or search hides now: shown as such, and clearable (issue 15 §5).
  function hiddenSelection() {
    const shown = new Set(state.visible.map((i) => column(state.rows[i], "id")));
    return Array.from(state.selected).filter((id) => !shown.has(id));
  }

  function selectionChanged() {
    const n = state.selected.size;
    const hidden = hiddenSelection();
    $("selected-count").textContent = n + " selected" + (hidden.length ? ", " + hidden.length + " hidden by the filter" : "");
    $("clear-hidden").hidden = hidden.length === 0;
    $("clear-selection").hidden = n === 0;
    $("bulk-open").disabled = n === 0;
    $("bulk-selected").textContent = String(n);
    $("bulk-hidden-note").textContent = hidden.length ? " (" + hidden.length + " of them hidden by the list's filter)" : "";
    const all = $("select-all");
    all.checked = n > 0 && state.visible.every((i) => state.selected.has(column(state.rows[i], "id")));
    // A preview is of one selection: another selection needs its own.
    if (preview && (preview.request.company_ids.length !== n || !preview.request.company_ids.every((id) => state.selected.has(id)))) {
      forgetPreview();
    }
    updateBulkButton();
  }

  // Lists too large for the browser: the server searches with escaped conditions.
  let searchTimer = 0;
  function serverSearch() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(async () => {
      const ticket = ++state.serverSearch;
      const params = new URLSearchParams({ q: state.query, active: state.statusFilter === "active" ? "true" : "false" });
      const payload = await cw.getJSON("/api/clients/search?" + params.toString());
      if (ticket !== state.serverSearch) return;
      indexRows({ ...payload, complete: false });
      state.total = payload.total;
      state.query = "";  // the server already filtered; show what it sent
      applyFilter();
      state.query = $("search-in").value.trim();
      $("list-note").textContent = "Searched ConnectWise: " + payload.rows.length + " of " + payload.total + " matches shown.";
    }, 150);
  }

  async function loadList() {
    countLabel.textContent = "loading…";
    let payload;
    try {
      payload = await cw.getJSON("/api/clients");
    } catch (error) {
      countLabel.textContent = "could not load: " + error.message;
      return;
    }
    indexRows(payload);
    const note = $("list-note");
    if (!payload.complete) {
      note.hidden = false;
      note.textContent = "Showing the first " + payload.rows.length + " of " + payload.total +
        " companies; type to search ConnectWise.";
    }
    applyFilter();
    document.body.dataset.listReady = "true";
  }

  // ---- detail panel -----------------------------------------------------------------------------------------
  // Each client has its own address, /clients/{id} (issue 15 §6): opening one pushes it on the history, the
  // browser's back and forward open the client of that entry again, and the server renders the same address
  // with the detail already in place (a reload or a shared link).
  const CLIENT_PATH = /^\/clients\/(\d+)\/?$/;

  function clientInPath() {
    const found = CLIENT_PATH.exec(window.location.pathname);
    return found ? Number(found[1]) : null;
  }

  async function openClient(id, { history = "push" } = {}) {
    state.current = id;
    renderWindow();
    showTab("detail");
    const panel = $("panel-detail");
    if (history === "push" && clientInPath() !== id) {
      window.history.pushState({ clientId: id }, "", "/clients/" + encodeURIComponent(id));
    }
    panel.setAttribute("aria-busy", "true");
    const response = await fetch("/clients/" + encodeURIComponent(id) + "/panel", { credentials: "same-origin" });
    if (response.status === 401) { window.location.href = "/signin"; return; }
    if (state.current !== id) return;  // another client was opened meanwhile (back/forward pressed quickly)
    panel.innerHTML = await response.text();  // server-rendered and escaped
    panel.removeAttribute("aria-busy");
    wirePanel(panel, id);
    const name = panel.querySelector("#client-name");
    document.title = (name ? name.textContent + " · " : "") + "Clients · cwdesk";
    if (window.matchMedia("(max-width: 760px)").matches) panel.scrollIntoView({ block: "start" });
  }

  function closeClient() {
    state.current = null;
    renderWindow();
    const empty = document.createElement("div");
    empty.className = "empty";
    empty.textContent = "Select a client on the left.";
    $("panel-detail").replaceChildren(empty);
    document.title = "Clients · cwdesk";
  }

  window.addEventListener("popstate", () => {
    const id = clientInPath();
    if (id === null) closeClient();
    else openClient(id, { history: "none" });
  });

  function wirePanel(panel, id) {
    panel.querySelectorAll("[data-open-dialog]").forEach((button) => {
      button.addEventListener("click", () => {
        const dialog = document.getElementById(button.getAttribute("data-open-dialog"));
        if (dialog) dialog.showModal();
      });
    });
    panel.querySelectorAll("[data-close-dialog]").forEach((button) => {
      button.addEventListener("click", () => button.closest("dialog").close());
    });
    panel.querySelectorAll("form.js-form").forEach((form) => {
      cw.wireForm(form, async (result) => {
        const dialog = form.closest("dialog");
        if (dialog) dialog.close();
        await openClient(id, { history: "none" });
        const notice = $("panel-detail").querySelector("#client-detail");
        if (notice) notice.dataset.saved = "true";
        // What was saved stays in view above the reloaded detail (a live region: screen readers announce it).
        const status = $("save-status");
        if (status) {
          status.textContent = result.message || "Saved.";
          status.className = "save-status ok";
          status.hidden = false;
        }
        if (form.id === "edit-company-form") loadList();
      });
    });
  }

  // ---- tabs and bulk ----------------------------------------------------------------------------------------
  function showTab(name) {
    document.querySelectorAll("[data-tab]").forEach((tab) => tab.classList.toggle("on", tab.dataset.tab === name));
    $("panel-detail").hidden = name !== "detail";
    $("panel-bulk").hidden = name !== "bulk";
  }

  function updateBulkButton() {
    const button = $("bulk-execute");
    if (!button) return;
    button.disabled = !(state.selected.size > 0 && $("bulk-field").value && $("bulk-value").value.trim());
  }

  // ---- bulk: Execute previews (POST /bulk/preview, reads only); only Confirm starts the job ------------------
  let preview = null;  // the preview on show: {request, confirmation, offset, pageSize}

  function bulkRequest() {
    return {
      company_ids: Array.from(state.selected),
      contact_filter: $("bulk-filter").value,
      field: $("bulk-field").value,
      value: $("bulk-value").value.trim(),
    };
  }

  function forgetPreview() {
    preview = null;
    const box = $("bulk-preview");
    if (box) box.hidden = true;
  }

  function showPreview(request, result) {
    const box = $("bulk-preview");
    preview = { request, confirmation: result.preview.confirmation, offset: result.offset, pageSize: result.page_size };
    $("bulk-preview-summary").textContent = result.preview.lines[0] || "";
    const lines = $("bulk-preview-lines");
    lines.replaceChildren();
    for (const text of result.preview.lines.slice(1)) {
      const item = document.createElement("li");
      item.textContent = text;
      lines.appendChild(item);
    }
    const body = $("bulk-preview-table").querySelector("tbody");
    body.replaceChildren();
    for (const row of result.rows) {
      const tr = document.createElement("tr");
      tr.dataset.contactId = row.contact_id;
      for (const text of [row.company, row.contact + " (" + row.contact_id + ")", row.before, row.after]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    $("bulk-preview-table").hidden = result.rows.length === 0;
    const first = result.rows.length ? result.offset + 1 : 0;
    const last = result.offset + result.rows.length;
    const total = result.counts.will_change;
    $("bulk-preview-more").textContent = total ? "Contacts " + first + "–" + last + " of " + total + " that will change." : "";
    $("bulk-preview-prev").hidden = result.offset === 0;
    $("bulk-preview-next").hidden = result.more === 0;
    const confirm = $("bulk-confirm");
    confirm.textContent = result.preview.confirm_label;
    confirm.disabled = total === 0;
    box.hidden = false;
  }

  async function loadPreview(request, offset) {
    const result = await cw.send("/bulk/preview", { json: { ...request, offset } });
    cw.showResult($("bulk-form"), result);
    if (!result.ok) {
      forgetPreview();
      return;
    }
    showPreview(request, result);
  }

  async function confirmPreview() {
    if (!preview) return;
    const button = $("bulk-confirm");
    button.disabled = true;
    const result = await cw.send("/bulk", { json: { ...preview.request, confirmation: preview.confirmation } });
    const message = $("bulk-preview-message");
    message.textContent = result.message || "";
    message.className = "form-message " + (result.ok ? "ok" : "error");
    if (!result.ok) {
      // The data changed since the preview: the answer carries the new one, to check and confirm again.
      if (result.needs_confirmation && result.preview) showPreview(preview.request, result);
      else button.disabled = false;
      return;
    }
    $("bulk-preview").hidden = true;
    preview = null;
    const box = $("bulk-job");
    box.hidden = false;
    $("bulk-job-link").href = "/jobs/" + result.job_id;
    box.querySelector(".job-log").replaceChildren();
    cw.followJob(box, result.job_id);
    cw.showResult($("bulk-form"), result);
  }

  function wireBulk() {
    const form = $("bulk-form");
    const field = $("bulk-field");
    field.addEventListener("change", () => {
      const option = field.selectedOptions[0];
      $("bulk-hint").textContent = option ? option.getAttribute("data-hint") || "" : "";
      forgetPreview();
      updateBulkButton();
    });
    $("bulk-value").addEventListener("input", () => { forgetPreview(); updateBulkButton(); });
    $("bulk-filter").addEventListener("change", forgetPreview);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = $("bulk-execute");
      if (button) button.disabled = true;
      $("bulk-preview-message").textContent = "";
      await loadPreview(bulkRequest(), 0);
      updateBulkButton();
    });
    $("bulk-preview-next").addEventListener("click", () => {
      if (preview) loadPreview(preview.request, preview.offset + preview.pageSize);
    });
    $("bulk-preview-prev").addEventListener("click", () => {
      if (preview) loadPreview(preview.request, Math.max(0, preview.offset - preview.pageSize));
    });
    $("bulk-cancel").addEventListener("click", forgetPreview);
    $("bulk-confirm").addEventListener("click", confirmPreview);
  }

  // The bulk panel's value offers ConnectWise's own names when the field is a pick list (issue 15 §6): contact
  // type, relationship, department, from /api/pick-lists (the server checks the name whatever is typed).
  async function wireBulkPickLists() {
    const field = $("bulk-field"), value = $("bulk-value");
    if (!field || !value) return;
    let lists = {};
    try {
      lists = await cw.getJSON("/api/pick-lists");
    } catch (_error) {
      return;  // no suggestions; the value is still checked when the job is planned
    }
    const options = document.createElement("datalist");
    options.id = "bulk-value-options";
    value.after(options);
    const offer = () => {
      const names = lists[field.value] || [];
      options.replaceChildren(...names.map((name) => {
        const option = document.createElement("option");
        option.value = name;
        return option;
      }));
      if (names.length) value.setAttribute("list", options.id); else value.removeAttribute("list");
      value.dataset.pickList = names.length ? field.value : "";
    };
    field.addEventListener("change", offer);
    offer();
  }

  document.addEventListener("DOMContentLoaded", () => {
    rowsBox = $("rows");
    spacer = $("rows-spacer");
    countLabel = $("count");
    rowsBox.addEventListener("scroll", () => requestAnimationFrame(renderWindow), { passive: true });
    window.addEventListener("resize", renderWindow);
    $("search-in").addEventListener("input", (event) => {
      state.query = event.target.value.trim();
      if (state.complete) applyFilter();
      else serverSearch();
    });
    document.querySelectorAll("[data-status-filter]").forEach((button) => {
      button.addEventListener("click", () => {
        state.statusFilter = button.dataset.statusFilter;
        document.querySelectorAll("[data-status-filter]").forEach((b) => b.classList.toggle("on", b === button));
        if (state.complete) applyFilter();
        else serverSearch();
      });
    });
    $("select-all").addEventListener("change", (event) => {
      for (const i of state.visible) {
        const id = column(state.rows[i], "id");
        if (event.target.checked) state.selected.add(id); else state.selected.delete(id);
      }
      renderWindow();
      selectionChanged();
    });
    $("clear-hidden").addEventListener("click", () => {
      for (const id of hiddenSelection()) state.selected.delete(id);
      renderWindow();
      selectionChanged();
    });
    $("clear-selection").addEventListener("click", () => {
      state.selected.clear();
      renderWindow();
      selectionChanged();
    });
    $("bulk-open").addEventListener("click", () => showTab("bulk"));
    document.querySelectorAll("[data-tab]").forEach((tab) => tab.addEventListener("click", () => showTab(tab.dataset.tab)));
    wireBulk();
    wireBulkPickLists();
    loadList();
    // Opened at /clients/{id}: the server rendered the detail; wire it and remember it as this history entry.
    const shown = $("client-detail");
    const id = clientInPath();
    if (id !== null) {
      state.current = id;
      window.history.replaceState({ clientId: id }, "", window.location.pathname);
      if (shown) wirePanel($("panel-detail"), id);
    }
  });
})();
