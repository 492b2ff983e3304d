// Staff page of the OpenID4VP flow (verifier/oid4vp_api.py): make a request for a scenario,
// show its openid4vp:// QR, poll GET v1/requests/{id} until the wallet answers, show the
// verdict. The staff session token is the one the scan page keeps in sessionStorage.
"use strict";
// $, TOKEN_KEY, token, api(), logIn() and fillScenarios() come from staff_common.js.

const POLL_MS = 1000;
let polling = null;

function showOrg(me) {
  $("org-name").textContent = `${me.name.zh} · ${me.name.en}`;
  fillScenarios(me);
  $("login-view").hidden = true; $("request-view").hidden = false; $("who").hidden = false;
}

const STATES = {
  pending: "等待市民回应 Waiting for the citizen…",
  expired: "请求已过期 Request expired",
  refused: "市民拒绝 The citizen refused",
  answered: "已收到回应 Answer received",
};

function showVerdict(v) {
  const banner = $("verdict-banner");
  banner.className = "banner " + (v.valid ? "valid" : "invalid");
  banner.textContent = v.valid ? "✔ 有效 VALID" : "✘ 无效 INVALID";
  const tbody = $("claims").querySelector("tbody");
  tbody.replaceChildren();
  for (const [name, value] of Object.entries(v.claims || {})) {
    if (name === "portrait") continue;
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.textContent = name;
    const td = document.createElement("td"); td.textContent = String(value);
    tr.append(th, td); tbody.append(tr);
  }
  const reasons = $("reasons");
  reasons.replaceChildren();
  for (const c of v.checks || []) {
    if (c.ok || c.code === "not_checked") continue;
    const li = document.createElement("li"); li.textContent = `${c.name}: ${c.code}`;
    reasons.append(li);
  }
  $("verdict").hidden = false;
}

async function poll(id) {
  try {
    const st = await api(`v1/requests/${encodeURIComponent(id)}`);
    $("request-state").textContent = STATES[st.state] || st.state;
    $("request-state").dataset.state = st.state;
    if (st.state === "pending") return;
    clearInterval(polling); polling = null;
    $("request-qr").hidden = true;
    if (st.verdict) showVerdict(st.verdict);
  } catch (e) {
    $("request-error").textContent = e.message;
  }
}

async function makeRequest() {
  if (polling) clearInterval(polling);
  $("request-error").textContent = ""; $("verdict").hidden = true;
  try {
    const req = await api("v1/requests", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ scenario: $("scenario").value }),
    });
    $("request-qr").src = `data:image/png;base64,${req.png_base64}`;
    $("request-qr").hidden = false;
    $("request-link").textContent = req.qr_payload;
    $("request-state").textContent = STATES.pending;
    $("request-state").dataset.state = "pending";
    $("request").hidden = false;
    polling = setInterval(() => poll(req.id), POLL_MS);
  } catch (e) {
    $("request-error").textContent = e.message;
  }
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    showOrg(await logIn($("username").value, $("password").value));
  } catch (e) {
    $("login-error").textContent = e.message;
  }
});
$("make-request").addEventListener("click", makeRequest);

if (token) {
  api("v1/me").then(showOrg).catch(() => { token = null; sessionStorage.removeItem(TOKEN_KEY); });
}
