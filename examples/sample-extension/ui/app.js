// Sample extension UI. Served by the runner at
//   <gateway>/runner/ext-ui/<extensionId>/<contentHash>/index.html
// and talking to its own API on the same origin at /api/ext/<extensionId>/...
// The extension id comes from the `extensionId` query parameter the host adds to the
// iframe URL, or else from this page's own path.
"use strict";

function extensionIdFromLocation(loc) {
  const fromQuery = new URLSearchParams(loc.search).get("extensionId");
  if (fromQuery) return fromQuery;
  const parts = loc.pathname.split("/");
  const at = parts.indexOf("ext-ui");
  if (at >= 0 && parts[at + 1]) return decodeURIComponent(parts[at + 1]);
  throw new Error("cannot tell the extension id from " + loc.pathname);
}

const extensionId = extensionIdFromLocation(window.location);
const apiBase = "/api/ext/" + encodeURIComponent(extensionId);
const $ = (id) => document.getElementById(id);

async function callApi(path, options = {}) {
  const response = await fetch(apiBase + path, {
    credentials: "same-origin",
    headers: { accept: "application/json" },
    ...options,
  });
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  return { status: response.status, body };
}

function showError(message) {
  const box = $("error-message");
  box.textContent = message;
  box.hidden = !message;
}

function describeFailure(result) {
  const body = result.body || {};
  return "HTTP " + result.status + (body.error ? " " + body.error : "") +
    (body.message ? ": " + body.message : "");
}

async function loadHello(name) {
  const result = await callApi("/hello?name=" + encodeURIComponent(name));
  if (result.status !== 200) {
    $("hello-result").textContent = "";
    showError(describeFailure(result));
    return;
  }
  $("hello-result").textContent = result.body.message + " (tenant " + result.body.tenant + ")";
}

async function loadCounter() {
  const result = await callApi("/counter");
  if (result.status !== 200) {
    showError(describeFailure(result));
    return;
  }
  $("counter-value").textContent = String(result.body.value);
}

async function increment() {
  const button = $("counter-button");
  button.disabled = true;
  try {
    // The handler checks the stored revision; on a lost race (409) read again and retry once.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await callApi("/counter", { method: "POST" });
      if (result.status === 200) {
        $("counter-value").textContent = String(result.body.value);
        showError("");
        return;
      }
      if (result.status !== 409) {
        showError(describeFailure(result));
        return;
      }
    }
    showError("the counter changed too quickly; try again");
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("extension-id").textContent = extensionId;
  $("api-base").textContent = apiBase;
  $("hello-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadHello($("hello-name").value || "world");
  });
  $("counter-button").addEventListener("click", increment);
  loadHello("world").catch((err) => showError(String(err)));
  loadCounter().catch((err) => showError(String(err)));
});
