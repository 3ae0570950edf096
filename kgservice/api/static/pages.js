// What the extraction page (/) and the skill pages (/skill/<id>) share: calling /graphql with the API key,
// escaping, links to skill pages. Plain browser JavaScript, no build step.
"use strict";

const KG = (() => {
  // GraphiQL (/graphql) reads the same entry, so a key typed on one page serves the others. sessionStorage:
  // a key should not outlive the browser tab.
  const KEY_STORAGE = "kgservice.apiKey";

  function esc(value) {
    return String(value ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  function bindKeyField(input) {
    input.value = sessionStorage.getItem(KEY_STORAGE) || "";
    input.addEventListener("input", () => {
      const key = input.value.trim();
      if (key) sessionStorage.setItem(KEY_STORAGE, key); else sessionStorage.removeItem(KEY_STORAGE);
    });
  }

  class GraphQLErrors extends Error {
    constructor(errors) {
      super(errors.map(e => e.extensions && e.extensions.code ? `${e.message} (${e.extensions.code})` : e.message).join("; "));
      this.errors = errors;
    }
    codes() { return this.errors.map(e => (e.extensions || {}).code); }
  }

  // Resolves to `data`; rejects with GraphQLErrors when the answer has errors (HTTP 401/403 included).
  async function gql(query, variables) {
    const headers = {"Content-Type": "application/json", "Accept": "application/json"};
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) headers["Authorization"] = "Bearer " + key;
    const res = await fetch("/graphql", {method: "POST", headers, body: JSON.stringify({query, variables})});
    let body;
    try { body = await res.json(); } catch (e) { throw new Error(`HTTP ${res.status}: the answer is not JSON`); }
    if (body.errors && body.errors.length) throw new GraphQLErrors(body.errors);
    return body.data;
  }

  function skillHref(id) { return "/skill/" + encodeURIComponent(id); }

  function skillLink(skill) {
    return `<a class="skill" href="${skillHref(skill.id)}" title="${esc(skill.id)}">${esc(skill.name || skill.id)}</a>` +
      (skill.taxonomy ? ` <span class="tax tax-${esc(skill.taxonomy)}">${esc(skill.taxonomy)}</span>` : "");
  }

  return {esc, bindKeyField, gql, skillHref, skillLink, GraphQLErrors};
})();
