// The archive's web page: search with facets, a result list, and one article with its versions,
// its archived page and the other copies of its story. Plain DOM code over the JSON API of
// `newsarchive serve` (/articles, /articles/{id}, /articles/{id}/versions, /stories/{id});
// no build step, no external resources. Text from the archive is only ever set as text.
"use strict";

const FILTERS = ["q", "site", "since", "until", "tag", "lang", "author"];
const PAGE_SIZE = 20;
// Facet name in the API -> heading shown, and how choosing a value filters.
const FACETS = [
  { name: "day", label: "Day", apply: (f, v) => { f.since = v; f.until = v; },
    active: (f, v) => f.since === v && f.until === v,
    clear: (f) => { delete f.since; delete f.until; } },
  { name: "site", label: "Site", apply: (f, v) => { f.site = v; },
    active: (f, v) => f.site === v, clear: (f) => { delete f.site; } },
  { name: "language", label: "Language", apply: (f, v) => { f.lang = v; },
    active: (f, v) => f.lang === v, clear: (f) => { delete f.lang; } },
];
const FILTER_NAMES = {
  q: "Words", site: "Site", since: "Since", until: "Until", tag: "Tag", lang: "Language",
  author: "Author",
};

const $ = (id) => document.getElementById(id);
let nextCursor = null;
let currentFilters = {};
// Each view (search or article) counts up: an answer for a view since left is dropped.
let view = 0;

class ApiError extends Error {}

// -- the API -------------------------------------------------------------------------------------

async function getJSON(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/json" } });
  } catch (err) {
    throw new ApiError(`The archive server did not answer (${err.message}).`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    const said = data && (data.error || data.message || data.detail);
    throw new ApiError(said ? String(said) : `The server answered ${response.status}.`);
  }
  return data;
}

// 14-digit timestamp from one (or from an ISO date-time): the form /web/<ts>id_/<url> takes.
function stamp14(value) {
  const digits = String(value || "").replace(/\D/g, "");
  return digits.slice(0, 14).padEnd(14, "0");
}

function showTime(value) {
  const s = stamp14(value);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)} ${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)} UTC`;
}

function captureHref(url, timestamp) {
  return `/web/${stamp14(timestamp)}id_/${url}`;
}

// -- the page's state lives in its address: /?q=...&site=... or /?article=ID&q=... ---------------

function readState() {
  const params = new URLSearchParams(window.location.search);
  const filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  return { article: params.get("article"), filters };
}

function address(filters, article) {
  const params = new URLSearchParams();
  if (article != null) params.set("article", article);
  for (const name of FILTERS) {
    if (filters[name]) params.set(name, filters[name]);
  }
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

function go(filters, article) {
  window.history.pushState(null, "", address(filters, article));
  route();
}

function route() {
  view += 1;
  const state = readState();
  currentFilters = state.filters;
  fillForm(state.filters);
  if (state.article) {
    showArticle(state.article, state.filters);
  } else {
    search(state.filters);
  }
}

function fillForm(filters) {
  for (const name of FILTERS) {
    $(name).value = filters[name] || "";
  }
  if (FILTERS.some((n) => n !== "q" && filters[n])) $("filters").open = true;
}

function formFilters() {
  const filters = {};
  for (const name of FILTERS) {
    const value = $(name).value.trim();
    if (value) filters[name] = value;
  }
  return filters;
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = text;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

// A link within the page: a real address (it opens in a new tab, it can be copied), followed
// here without reloading.
function pageLink(text, filters, article, attrs = {}) {
  const link = el("a", text, { ...attrs, href: address(filters, article) });
  link.addEventListener("click", (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    go(filters, article);
  });
  return link;
}

// -- search --------------------------------------------------------------------------------------

async function search(filters, cursor = null) {
  const mine = view;
  $("article-view").hidden = true;
  $("search-view").hidden = false;
  document.title = filters.q ? `${filters.q} - News archive` : "News archive";
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    if (filters[name]) params.set(name, filters[name]);
  }
  params.set("limit", PAGE_SIZE);
  if (cursor) params.set("cursor", cursor);
  setStatus(cursor ? "Loading more…" : "Searching…");
  let data;
  try {
    data = await getJSON(`/articles?${params}`);
  } catch (err) {
    if (mine === view) setStatus(err.message, true);
    return;
  }
  if (mine !== view) return;
  const { results, total } = data;
  nextCursor = data.next;
  if (!cursor) {
    $("results").replaceChildren();
    renderFacets(data.facets || {}, filters);
  }
  for (const article of results) $("results").append(resultItem(article, filters));
  $("more").hidden = !nextCursor;
  $("results-section").hidden = false;
  const shown = $("results").children.length;
  if (shown === 0) {
    setStatus("No article matches.");
  } else if (total >= shown) {
    setStatus(`${total} ${total === 1 ? "article" : "articles"} found; showing ${shown}.`);
  } else {
    setStatus(`Showing ${shown} ${shown === 1 ? "article" : "articles"}.`);
  }
}

function resultItem(article, filters) {
  const li = el("li");
  li.append(pageLink(article.title || "(no title)", filters, article.id, { class: "title" }));
  const meta = [article.day, article.site_name || article.site, article.language]
    .filter(Boolean).join(" · ");
  li.append(el("p", meta, { class: "meta-line" }));
  const snippet = article.snippet || article.description || firstWords(article.body, 40);
  if (snippet) li.append(el("p", snippet, { class: "snippet" }));
  return li;
}

function firstWords(text, n) {
  if (!text) return "";
  const words = String(text).split(/\s+/);
  return words.slice(0, n).join(" ") + (words.length > n ? " …" : "");
}

function renderFacets(facets, filters) {
  const groups = $("facet-groups");
  groups.replaceChildren();
  for (const facet of FACETS) {
    // in the server's order (days newest first, the others most articles first)
    const entries = (facets[facet.name] || []).filter((e) => e.value != null && e.value !== "");
    if (!entries.length) continue;
    const headingId = `facet-${facet.name}`;
    const section = el("section", null, { "aria-labelledby": headingId });
    section.append(el("h3", facet.label, { id: headingId }));
    const list = el("ul");
    for (const { value, count } of entries) {
      const pressed = facet.active(filters, String(value));
      const button = el("button", null, {
        type: "button", class: "facet", "aria-pressed": String(pressed),
        "data-facet": facet.name, "data-value": String(value),
      });
      button.append(el("span", String(value), { class: "value" }),
        el("span", `(${count})`, { class: "count" }));
      button.addEventListener("click", () => {
        const next = { ...filters };
        if (pressed) facet.clear(next);
        else facet.apply(next, String(value));
        go(next, null);
      });
      const li = el("li");
      li.append(button);
      list.append(li);
    }
    section.append(list);
    groups.append(section);
  }
  renderActiveFilters(filters);
  $("facets").hidden = !groups.children.length && !$("active-filters").children.length;
}

function renderActiveFilters(filters) {
  const box = $("active-filters");
  box.replaceChildren();
  for (const name of FILTERS) {
    if (!filters[name] || name === "q") continue;
    const chip = el("button", `Remove ${FILTER_NAMES[name].toLowerCase()} ${filters[name]}`, {
      type: "button", class: "chip",
    });
    chip.addEventListener("click", () => {
      const next = { ...filters };
      delete next[name];
      go(next, null);
    });
    box.append(chip);
  }
}

// -- one article ---------------------------------------------------------------------------------

async function showArticle(id, filters) {
  const mine = view;
  $("search-view").hidden = true;
  $("article-view").hidden = true;
  setStatus("Loading the article…");
  let article;
  try {
    article = await getJSON(`/articles/${encodeURIComponent(id)}`);
  } catch (err) {
    if (mine === view) setStatus(err.message, true);
    return;
  }
  if (mine !== view) return;
  setStatus("");
  document.title = `${article.title || "(no title)"} - News archive`;
  $("back").href = address(filters, null);
  $("article-title").textContent = article.title || "(no title)";
  renderMeta(article);
  const archived = article.archived || {};
  const pageUrl = archived.url || article.final_url || article.url;
  const captured = archived.timestamp || article.timestamp;
  $("capture-link").href = archived.page || captureHref(pageUrl, captured);
  $("capture-link").textContent = `Archived page, as captured ${showTime(captured)}`;
  const body = $("article-body");
  body.replaceChildren();
  for (const paragraph of String(article.body || "").split(/\n+/)) {
    if (paragraph.trim()) body.append(el("p", paragraph));
  }
  $("versions").replaceChildren();
  $("versions-note").textContent = "Loading…";
  $("story").replaceChildren();
  $("story-note").textContent = article.story_id ? "Loading…" : "This article has no story id.";
  $("article-view").hidden = false;
  $("article-title").focus();
  window.scrollTo(0, 0);
  await Promise.all([
    showVersions(article, pageUrl, mine),
    article.story_id ? showStory(article, filters, mine) : null,
  ]);
}

function renderMeta(article) {
  const meta = $("article-meta");
  meta.replaceChildren();
  const rows = [
    ["Site", article.site_name && article.site && article.site_name !== article.site
      ? `${article.site_name} (${article.site})` : article.site_name || article.site],
    ["Published", article.published || article.day],
    ["Authors", (article.authors || []).join(", ")],
    ["Language", article.language],
    ["Tags", (article.tags || []).join(", ")],
    ["Captured", article.timestamp ? showTime(article.timestamp) : null],
    ["Address", article.url],
  ];
  if (article.final_url && article.final_url !== article.url) rows.push(["Fetched from", article.final_url]);
  for (const [name, value] of rows) {
    if (!value) continue;
    meta.append(el("dt", name));
    const dd = el("dd");
    if (name === "Address" || name === "Fetched from") {
      dd.append(el("a", value, { href: value, rel: "noreferrer" }));
    } else if (name === "Tags") {
      (article.tags || []).forEach((tag, i) => {
        if (i) dd.append(", ");
        dd.append(pageLink(tag, { tag }, null));
      });
    } else {
      dd.textContent = value;
    }
    meta.append(dd);
  }
}

async function showVersions(article, pageUrl, mine) {
  let versions;
  try {
    ({ versions } = await getJSON(`/articles/${encodeURIComponent(article.id)}/versions`));
  } catch (err) {
    if (mine === view) $("versions-note").textContent = `Versions could not be loaded: ${err.message}`;
    return;
  }
  if (mine !== view) return;
  const captures = versions.reduce((n, v) => n + (v.captures || []).length, 0);
  $("versions-note").textContent = versions.length === 1
    ? `One version: the text did not change across ${captures} ${captures === 1 ? "capture" : "captures"}.`
    : `${versions.length} versions of the text across ${captures} captures; each shows what changed from the one before.`;
  const list = $("versions");
  versions.forEach((version, i) => {
    const li = el("li");
    const seen = version.captures || [];
    const heading = el("h4", `Version ${version.version ?? i + 1}`);
    li.append(heading);
    const when = el("p", `Captured ${seen.map(showTime).join(", ")} `);
    if (seen.length) {
      when.append(el("a", "archived page", {
        href: captureHref(version.url || pageUrl, seen[0]),
        "aria-label": `Archived page of version ${version.version ?? i + 1}`,
      }));
    }
    li.append(when);
    if (version.diff) {
      li.append(renderDiff(version.diff));
    } else if (i === 0 && version.title && version.title !== article.title) {
      li.append(el("p", `Title: ${version.title}`));
    }
    list.append(li);
  });
}

function renderDiff(diff) {
  const pre = el("pre", null, { class: "diff", "aria-label": "Changes from the version before" });
  for (const line of String(diff).split("\n")) {
    if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("@@")) {
      pre.append(el("span", line, { class: "hunk" }));
    } else if (line.startsWith("+")) {
      pre.append(el("ins", line));
    } else if (line.startsWith("-")) {
      pre.append(el("del", line));
    } else {
      pre.append(el("span", line));
    }
  }
  return pre;
}

async function showStory(article, filters, mine) {
  let copies;
  try {
    ({ articles: copies } = await getJSON(`/stories/${encodeURIComponent(article.story_id)}`));
  } catch (err) {
    if (mine === view) $("story-note").textContent = `The story could not be loaded: ${err.message}`;
    return;
  }
  if (mine !== view) return;
  const others = copies.filter((c) => String(c.id) !== String(article.id));
  $("story-note").textContent = others.length
    ? `Story ${article.story_id}: ${others.length} other ${others.length === 1 ? "copy" : "copies"} in the archive.`
    : `Story ${article.story_id}: no other copy in the archive.`;
  const list = $("story");
  for (const copy of others) {
    const li = el("li");
    li.append(pageLink(copy.title || copy.url, filters, copy.id));
    const meta = [copy.day, copy.site_name || copy.site, copy.timestamp && `captured ${showTime(copy.timestamp)}`]
      .filter(Boolean).join(" · ");
    li.append(el("span", ` (${meta})`, { class: "meta-line" }));
    list.append(li);
  }
}

// -- wiring --------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    go(formFilters(), null);
  });
  $("more").addEventListener("click", () => search(currentFilters, nextCursor));
  $("back").addEventListener("click", (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    go(currentFilters, null);
  });
  window.addEventListener("popstate", route);
  route();
});
