// cwdesk console, the Automate view: search the client list as you type (the server renders and escapes the rows).
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
      if (response.status === 401) {
        window.location.href = "/signin";
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

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("automate-search");
    if (form) wireSearch(form);
  });
})();
