// The onboarding wizard (C5): six steps, auto-fill as the seed describes (site from the company's address, ticket
// summary "Onboarding — {name}", agreement start today, first contact primary), a review that lists every call
// (the server's dry run), and a submit that starts the job and opens its page.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  let step = 1;
  const LAST = 6;
  let summaryTouched = false;
  let siteTouched = false;

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

  function setValue(path, text) {
    const input = document.querySelector('[data-path="' + path + '"]');
    if (input && !input.value) input.value = text;
  }

  // Leaving step 1 fills what the seed's wizard fills.
  function autoFill() {
    const name = value("company.name");
    if (name && !summaryTouched) {
      document.querySelector('[data-path="ticket.summary"]').value = "Onboarding — " + name;
    }
    if (!siteTouched) setValue("site.phone", value("company.phone"));
    if (name) setValue("agreement.name", name + " Managed Services");
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
    const result = await cw.send("/onboarding/review", { json: { plan: readPlan() } });
    if (!result.ok) {
      showProblems(result);
      return;
    }
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
    const result = await cw.send("/onboarding", { json: { plan: readPlan() } });
    if (!result.ok) {
      button.disabled = false;
      showProblems(result);
      return;
    }
    window.location.href = result.url;
  }

  document.addEventListener("DOMContentLoaded", () => {
    addContactBlock();
    $("add-contact-block").addEventListener("click", addContactBlock);
    $("wizard-next").addEventListener("click", () => {
      if (step === 1) autoFill();
      show(Math.min(LAST, step + 1));
    });
    $("wizard-back").addEventListener("click", () => show(Math.max(1, step - 1)));
    const submitButton = $("wizard-submit");
    if (submitButton) submitButton.addEventListener("click", submit);
    document.querySelector('[data-path="ticket.summary"]').addEventListener("input", () => (summaryTouched = true));
    document.querySelector('[data-path="site.phone"]').addEventListener("input", () => (siteTouched = true));
    $("skip-agreement").addEventListener("change", (e) => ($("agreement-fields").hidden = e.target.checked));
    $("skip-ticket").addEventListener("change", (e) => ($("ticket-fields").hidden = e.target.checked));
    show(1);
  });
})();
