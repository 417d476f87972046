// The onboarding wizard (C5): six steps, auto-fill as the seed describes (site phone from the company's, ticket
// summary "Onboarding — {name}", agreement "{name} Managed Services", start today, first contact primary), a
// review that lists every call (the server's dry run), and a submit that starts the job and opens its page.
// What is true on screen (issue 15 §5): an auto-filled value follows its source until the user edits it (fixing
// a typo in step 1 fixes the agreement's name too); each step is checked by the server's validation (the same dry
// run) when the user leaves it forward; leaving the page with unsaved input asks first; Onboard sends the
// review's confirmation token, so what runs is what was reviewed.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  let step = 1;
  const LAST = 6;
  let reviewToken = "";
  let submitted = false;
  // Filled from another field until the user types in them: target path -> value from the sources.
  const FOLLOWS = {
    "site.phone": () => value("company.phone"),
    "ticket.summary": () => (value("company.name") ? "Onboarding — " + value("company.name") : ""),
    "agreement.name": () => (value("company.name") ? value("company.name") + " Managed Services" : ""),
  };
  const edited = new Set();  // targets the user has typed in (emptying one makes it follow again)

  function setPath(target, path, value) {
    const parts = path.split(".");
    let node = target;
    for (let i = 0; i < parts.length - 1; i++) node = node[parts[i]] = node[parts[i]] || {};
    node[parts[parts.length - 1]] = value;
  }

  function readPlan() {
    const plan = {};
    document.querySelectorAll("[data-path]").forEach((input) => {
      const path = input.getAttribute("data-path");
      const section = path.split(".")[0];
      if (section === "agreement" && $("skip-agreement").checked) return;
      if (section === "ticket" && $("skip-ticket").checked) return;
      const value = input.value.trim();
      if (value !== "") setPath(plan, path, input.type === "number" ? Number(value) : value);
    });
    plan.contacts = [];
    document.querySelectorAll("#contact-blocks .contact-block").forEach((block) => {
      const contact = {};
      block.querySelectorAll("[data-contact-field]").forEach((input) => {
        if (input.value.trim() !== "") contact[input.getAttribute("data-contact-field")] = input.value.trim();
      });
      if (Object.keys(contact).length) plan.contacts.push(contact);
    });
    return plan;
  }

  function renumberContacts() {
    document.querySelectorAll("#contact-blocks .contact-block").forEach((block, index) => {
      block.querySelector(".contact-title").textContent = "Contact " + (index + 1) + (index === 0 ? " (primary)" : "");
      block.querySelectorAll("[data-contact-error]").forEach((slot) => {
        slot.setAttribute("data-error-for", "contacts[" + index + "]." + slot.getAttribute("data-contact-error"));
      });
    });
  }

  function addContactBlock() {
    const block = $("contact-template").content.firstElementChild.cloneNode(true);
    block.querySelector(".remove-contact").addEventListener("click", () => {
      block.remove();
      renumberContacts();
    });
    $("contact-blocks").appendChild(block);
    renumberContacts();
  }

  function value(path) {
    const input = document.querySelector('[data-path="' + path + '"]');
    return input ? input.value.trim() : "";
  }

  // Every target the user has not edited shows what its source says now.
  function follow() {
    for (const [path, from] of Object.entries(FOLLOWS)) {
      if (edited.has(path)) continue;
      const input = document.querySelector('[data-path="' + path + '"]');
      if (input) {
        input.value = from();
        input.dataset.filled = "auto";
      }
    }
  }

  function wireFollowing() {
    for (const path of Object.keys(FOLLOWS)) {
      const input = document.querySelector('[data-path="' + path + '"]');
      if (!input) continue;
      input.addEventListener("input", () => {
        if (input.value.trim() === "") edited.delete(path); else edited.add(path);
        input.dataset.filled = edited.has(path) ? "user" : "auto";
        if (!edited.has(path)) follow();
      });
    }
    for (const source of ["company.name", "company.phone"]) {
      const input = document.querySelector('[data-path="' + source + '"]');
      if (input) input.addEventListener("input", follow);
    }
  }

  // ---- leaving a step forward: the server's checks (the review's dry run), this step's problems only
  function canSubmit() { return $("wizard").dataset.canSubmit === "true"; }

  async function stepIsValid(current) {
    if (!canSubmit()) return true;  // a viewer cannot ask for the dry run; the notice at step 1 says why
    const result = await cw.send("/onboarding/review", { json: { plan: readPlan() } });
    const mine = {};
    for (const [field, text] of Object.entries(result.errors || {})) {
      if (stepOfField(field) === current) mine[field] = text;
    }
    const wizard = $("wizard");
    if (Object.keys(mine).length === 0) {
      cw.clearErrors(wizard);
      return true;
    }
    const count = Object.keys(mine).length;
    cw.showResult(wizard, { ok: false, message: count + " problem" + (count === 1 ? "" : "s") + " to fix on this step.", errors: mine });
    return false;
  }

  // ---- leaving the page with unsaved input asks first: the plan differs from the one the page started with
  let initialPlan = "";
  function isDirty() {
    return !submitted && JSON.stringify(readPlan()) !== initialPlan;
  }

  function show(next) {
    step = next;
    document.querySelectorAll(".wizard-step").forEach((node) => (node.hidden = Number(node.dataset.step) !== step));
    document.querySelectorAll("[data-step-label]").forEach((label) => {
      const n = Number(label.dataset.stepLabel);
      label.className = n === step ? "on" : n < step ? "done" : "";
    });
    $("wizard-back").disabled = step === 1;
    $("wizard-next").hidden = step === LAST;
    const submit = $("wizard-submit");
    if (submit) submit.hidden = step !== LAST;
    if (step === LAST) review();
  }

  function stepOfField(field) {
    const section = field.replace(/\[.*$/, "").split(".")[0];
    return { company: 1, site: 2, contacts: 3, agreement: 4, ticket: 5 }[section] || LAST;
  }

  function showProblems(result) {
    const wizard = $("wizard");
    cw.showResult(wizard, result);
    const fields = Object.keys(result.errors || {});
    if (fields.length) show(Math.min(...fields.map(stepOfField)));
    // Re-apply: show() may have re-rendered nothing, but keep the messages visible after the jump.
    cw.showResult(wizard, result);
  }

  async function review() {
    const list = $("review-calls");
    list.replaceChildren();
    $("review-notes").replaceChildren();
    reviewToken = "";
    if (!canSubmit()) {
      cw.showResult($("wizard"), { ok: false, message: "Your role (viewer) cannot submit the wizard: an operator or admin can.", errors: {} });
      return;
    }
    const result = await cw.send("/onboarding/review", { json: { plan: readPlan() } });
    if (!result.ok) {
      showProblems(result);
      return;
    }
    reviewToken = result.confirmation;
    cw.showResult($("wizard"), result);
    for (const call of result.calls) {
      const item = document.createElement("li");
      item.textContent = call.method + " " + call.path + "  " + JSON.stringify(call.body);
      list.appendChild(item);
    }
    for (const note of result.notes || []) {
      const item = document.createElement("li");
      item.textContent = note;
      $("review-notes").appendChild(item);
    }
  }

  async function submit() {
    const button = $("wizard-submit");
    button.disabled = true;
    const result = await cw.send("/onboarding", { json: { plan: readPlan(), confirmation: reviewToken } });
    if (!result.ok) {
      button.disabled = false;
      showProblems(result);
      return;
    }
    submitted = true;
    window.location.href = result.url;
  }

  document.addEventListener("DOMContentLoaded", () => {
    addContactBlock();
    $("add-contact-block").addEventListener("click", addContactBlock);
    wireFollowing();
    follow();
    initialPlan = JSON.stringify(readPlan());
    $("wizard-next").addEventListener("click", async () => {
      const next = $("wizard-next");
      next.disabled = true;
      const valid = await stepIsValid(step);
      next.disabled = false;
      if (valid) show(Math.min(LAST, step + 1));
    });
    window.addEventListener("beforeunload", (event) => {
      if (!isDirty()) return;
      event.preventDefault();
      event.returnValue = "";  // Chromium still wants it set to ask
    });
    $("wizard-back").addEventListener("click", () => show(Math.max(1, step - 1)));
    const submitButton = $("wizard-submit");
    if (submitButton) submitButton.addEventListener("click", submit);
    $("skip-agreement").addEventListener("change", (e) => ($("agreement-fields").hidden = e.target.checked));
    $("skip-ticket").addEventListener("change", (e) => ($("ticket-fields").hidden = e.target.checked));
    show(1);
  });
})();
