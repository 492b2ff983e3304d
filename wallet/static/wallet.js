// Citizen page: ask the wallet API for a QR and refresh it every data-refresh seconds.
// POSTs ride on the HttpOnly session cookie and carry the page's CSRF token header.
(function () {
  "use strict";
  var show = document.getElementById("show");
  if (!show) return;
  var base = show.dataset.base, id = show.dataset.credential;
  var every = parseInt(show.dataset.refresh, 10) || 30;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var img = document.getElementById("qr"), box = document.getElementById("qr-box");
  var err = document.getElementById("qr-error"), countdown = document.getElementById("countdown");
  var low = document.getElementById("copies-low");
  var timer = null, left = 0, previous = null;

  function stop() { if (timer) { clearInterval(timer); timer = null; } }

  function fail(code) {
    stop();
    box.hidden = true;
    err.textContent = err.dataset[code] || err.dataset["default"];
    err.dataset.code = code || "error";
    err.hidden = false;
  }

  // refresh: true for the timer's refreshes of the QR on screen (same showing, same copy).
  function load(refresh) {
    var mode = document.getElementById("mode").value;
    var req = {scenario: document.getElementById("scenario").value, mode: mode};
    if (refresh && mode === "offline" && previous) { req.refresh_of = previous; }
    var body = JSON.stringify(req);
    fetch(base + "/v1/credentials/" + encodeURIComponent(id) + "/qr", {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}
    }).then(function (r) {
      return r.json().then(function (j) { return {ok: r.ok, body: j}; });
    }).then(function (res) {
      if (!res.ok) { fail(res.body.code); return; }
      err.hidden = true;
      img.src = "data:image/png;base64," + res.body.png_base64;
      img.dataset.payload = res.body.payload;
      previous = res.body.payload;
      low.hidden = !res.body.copies_low;
      box.hidden = false;
      left = every;
      countdown.textContent = left;
    }).catch(function () { fail("error"); });
  }

  function tick() {
    left -= 1;
    if (left <= 0) { left = every; load(true); } else { countdown.textContent = left; }
  }

  document.getElementById("qr-form").addEventListener("submit", function (e) {
    e.preventDefault();
    stop();
    previous = null;
    load(false);
    timer = setInterval(tick, 1000);
  });
})();
