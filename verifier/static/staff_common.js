// Shared by the staff pages (staff.js, oid4vp.js; loaded before them as classic scripts,
// so these top-level names are theirs too): element lookup, the staff session token kept in
// sessionStorage, the JSON API call, staff login, and the logged-in organisation's scenario
// picker.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "elicense-verifier-token";
let token = sessionStorage.getItem(TOKEN_KEY);

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetch(path, Object.assign({}, options, { headers }));
  let body = null;
  try { body = await resp.json(); } catch (e) { body = null; }
  if (!resp.ok) {
    const err = new Error((body && (body.detail || body.code)) || `HTTP ${resp.status}`);
    err.code = body && body.code; err.status = resp.status;
    throw err;
  }
  return body;
}

async function logIn(username, password) {
  const r = await api("v1/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  token = r.access_token; sessionStorage.setItem(TOKEN_KEY, token);
  return r;
}

function fillScenarios(me) {
  const sel = $("scenario");
  sel.replaceChildren();
  for (const s of me.scenarios) {
    const opt = document.createElement("option");
    opt.value = s.id; opt.textContent = `${s.name.zh} · ${s.name.en}`;
    sel.append(opt);
  }
}
