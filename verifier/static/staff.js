// Staff page of the verifier (verifier/pages.py): login, scenario, camera / upload / paste,
// verdict. Talks to the JSON API with the staff session token as a bearer token.
"use strict";
// $, TOKEN_KEY, token, api(), logIn() and fillScenarios() come from staff_common.js.


const CHECK_NAMES = {
  envelope: ["二维码", "QR envelope"], signature: ["签名", "Signature"],
  trust: ["可信签发方", "Trusted issuer"], type_allowed: ["证照类型", "Credential type"],
  validity: ["有效期", "Validity"], key_binding: ["持有人绑定", "Holder binding"],
  freshness: ["时效", "Freshness"], replay: ["重复使用", "Replay"],
  status: ["证照状态", "Status"], policy: ["场景规则", "Scenario policy"],
};
const REASONS = {
  not_checked: ["未检查", "not checked"],
  replayed: ["该二维码已被使用", "this QR was already used"],
  revoked: ["证照已注销", "license revoked"],
  suspended: ["证照已暂停", "license suspended"],
  status_stale: ["状态信息过旧", "status information is stale"],
  status_unavailable: ["无法获取状态", "status unavailable"],
  over_disclosure: ["披露了超出场景允许的信息", "discloses more than the scenario allows"],
  missing_claims: ["缺少必需信息", "required information missing"],
  requirement_not_met: ["不满足场景要求（如未满18岁）", "requirement not met (e.g. under 18)"],
  type_not_allowed: ["本场景不接受该证照", "license type not accepted here"],
  type_not_trusted: ["签发机关无权签发该证照", "agency not trusted for this type"],
  untrusted_issuer: ["签发方不可信", "issuer not trusted"],
  invalid_signature: ["签名无效（可能被篡改）", "invalid signature (tampered?)"],
  kb_iat_out_of_window: ["二维码已过期，请刷新", "QR too old, refresh it"],
  credential_expired: ["证照已过期", "license expired"],
  qr_not_found: ["图片中未找到二维码", "no QR code in the image"],
  qr_prefix_unknown: ["不是电子证照二维码", "not an e-license QR"],
  qr_payload_invalid: ["二维码内容损坏", "QR content damaged"],
  mode_not_allowed: ["本场景不接受该出示方式", "presentation mode not accepted"],
  online_unavailable: ["离线模式不能核验在线二维码", "online QR needs the network"],
  not_required: ["不要求", "not required"],
};
const CLAIM_NAMES = {
  name: ["姓名", "Name"], document_number: ["证件号码", "Document number"], sex: ["性别", "Sex"],
  ethnicity: ["民族", "Ethnicity"], birthdate: ["出生日期", "Birthdate"], address: ["住址", "Address"],
  nationality: ["国籍", "Nationality"], name_en: ["英文姓名", "Name (EN)"],
  age_over_18: ["已满18周岁", "Age over 18"], license_number: ["证号", "License number"],
  permitted_class: ["准驾车型", "Permitted class"], valid_from: ["有效期起", "Valid from"],
  valid_until: ["有效期至", "Valid until"], plate_number: ["号牌号码", "Plate number"],
  owner_name: ["所有人", "Owner"], vehicle_type: ["车辆类型", "Vehicle type"],
  registration_number: ["登记号", "Registration number"], dog_name: ["犬名", "Dog name"],
  breed: ["品种", "Breed"], color: ["毛色", "Color"], dog_sex: ["性别", "Sex"],
  vaccination_date: ["免疫日期", "Vaccination date"],
};
const both = (pair, fallback) => (pair ? `${pair[0]} ${pair[1]}` : fallback);

let stream = null;
let scanning = false;

function showOrg(me) {
  $("org-name").textContent = `${me.name.zh} · ${me.name.en}${me.staff ? " · " + me.staff : ""}`;
  fillScenarios(me);
  $("login-view").hidden = true; $("verify-view").hidden = false; $("who").hidden = false;
}

function showLogin() {
  token = null; sessionStorage.removeItem(TOKEN_KEY);
  $("login-view").hidden = false; $("verify-view").hidden = true; $("who").hidden = true;
}

function renderVerdict(v) {
  $("verify-error").textContent = "";
  const banner = $("verdict-banner");
  banner.className = "banner " + (v.valid ? "valid" : "invalid");
  banner.textContent = v.valid ? "✔ 有效 VALID" : "✘ 无效 INVALID";
  const meta = [];
  if (v.credential_type) meta.push(v.credential_type);
  if (v.mode) meta.push(v.mode === "online" ? "在线 online" : "离线 offline");
  if (v.status && v.status.staleness_s !== null) meta.push(`状态 status age ${v.status.staleness_s}s`);
  if (v.bundle_age_s !== undefined) meta.push(`离线包 bundle age ${v.bundle_age_s}s`);
  $("verdict-meta").textContent = meta.join(" · ");
  const tbody = $("claims").querySelector("tbody");
  tbody.replaceChildren();
  const portrait = $("portrait");
  portrait.hidden = true;
  for (const [k, val] of Object.entries(v.claims || {})) {
    if (k === "portrait") {
      portrait.src = "data:image/jpeg;base64," + val; portrait.hidden = false; continue;
    }
    const tr = document.createElement("tr");
    const a = document.createElement("td"); a.textContent = both(CLAIM_NAMES[k], k);
    const b = document.createElement("td"); b.textContent = typeof val === "string" ? val : JSON.stringify(val);
    b.className = "claim-" + k;
    tr.append(a, b); tbody.append(tr);
  }
  const reasons = $("reasons");
  reasons.replaceChildren();
  for (const c of v.checks) {
    if (c.ok && !c.code) continue;
    if (c.code === "not_checked") continue;
    const li = document.createElement("li");
    if (c.ok) li.className = "note";
    li.dataset.code = c.code;
    li.textContent = `${both(CHECK_NAMES[c.name], c.name)}: ${both(REASONS[c.code], c.code)} (${c.code})`;
    reasons.append(li);
  }
  $("verdict").hidden = false;
}

async function verifyText(qr) {
  const v = await api("v1/verify", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ scenario: $("scenario").value, qr }),
  });
  renderVerdict(v);
  return v;
}

async function verifyBlob(blob, name) {
  const form = new FormData();
  form.append("scenario", $("scenario").value);
  form.append("image", blob, name);
  return api("v1/verify-image", { method: "POST", body: form });
}

function fail(err) {
  if (err.status === 401) { showLogin(); return; }
  $("verify-error").textContent = `${err.message} (${err.code || err.status})`;
}

async function scanLoop() {
  const video = $("camera"), canvas = $("frame");
  while (scanning) {
    if (video.videoWidth) {
      canvas.width = video.videoWidth; canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      const blob = await new Promise((r) => canvas.toBlob(r, "image/jpeg", 0.9));
      try {
        const v = await verifyBlob(blob, "frame.jpg");
        const envelope = v.checks.find((c) => c.name === "envelope");
        if (!(envelope && envelope.code === "qr_not_found")) { renderVerdict(v); stopCamera(); return; }
      } catch (err) { fail(err); stopCamera(); return; }
    }
    await new Promise((r) => setTimeout(r, 600));
  }
}

async function startCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (err) {
    $("verify-error").textContent = "无法打开摄像头 Cannot open the camera: " + err.message;
    return;
  }
  const video = $("camera");
  video.srcObject = stream; video.hidden = false; await video.play();
  $("camera-start").hidden = true; $("camera-stop").hidden = false;
  scanning = true; scanLoop();
}

function stopCamera() {
  scanning = false;
  if (stream) { stream.getTracks().forEach((t) => t.stop()); stream = null; }
  $("camera").hidden = true; $("camera-start").hidden = false; $("camera-stop").hidden = true;
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("login-error").textContent = "";
  try {
    showOrg(await logIn($("username").value, $("password").value));
  } catch (err) {
    $("login-error").textContent = "用户名或密码错误 Wrong username or password";
  }
});
$("logout").addEventListener("click", () => { stopCamera(); showLogin(); });
$("camera-start").addEventListener("click", startCamera);
$("camera-stop").addEventListener("click", stopCamera);
$("image").addEventListener("change", async (ev) => {
  const file = ev.target.files[0];
  if (!file) return;
  try { renderVerdict(await verifyBlob(file, file.name)); } catch (err) { fail(err); }
  ev.target.value = "";
});
$("text-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try { await verifyText($("qr-text").value.trim()); } catch (err) { fail(err); }
});

if (token) { api("v1/me").then(showOrg).catch(showLogin); } else { showLogin(); }
