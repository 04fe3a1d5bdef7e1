// Evident upload page: drag and drop or choose files; each file is sent on
// its own to POST /api/v1/items (with the page's CSRF token), with its own
// progress bar and outcome row. Strings come from data-* attributes the
// server rendered in the page's language.
"use strict";

(function () {
  var form = document.getElementById("upload-form");
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("file-input");
  var list = document.getElementById("outcomes");
  if (!form || !zone || !input || !list) return;
  var tokenMeta = document.querySelector("meta[name='csrf-token']");
  var csrf = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var queue = [];
  var busy = false;

  function text(name) { return list.getAttribute("data-" + name) || name; }

  function sensitivity() {
    var chosen = form.querySelector("input[name='sensitivity']:checked");
    return chosen ? chosen.value : "restricted";
  }

  function row(file) {
    var li = document.createElement("li");
    li.className = "outcome";
    li.setAttribute("data-test", "upload-outcome");
    li.setAttribute("data-status", "waiting");
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    var status = document.createElement("span");
    status.className = "status";
    status.setAttribute("data-test", "upload-status");
    status.textContent = text("waiting");
    var bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    li.appendChild(name);
    li.appendChild(status);
    li.appendChild(bar);
    list.insertBefore(li, list.firstChild);
    return { li: li, status: status, bar: bar };
  }

  function finish(parts, state, message, item) {
    parts.li.setAttribute("data-status", state);
    parts.status.textContent = message;
    parts.bar.value = parts.bar.max;
    if (item && item.id) {
      parts.li.setAttribute("data-item-id", item.id);
      var id = document.createElement("code");
      id.textContent = " " + item.id;
      if (list.getAttribute("data-link-items") === "true") {
        var link = document.createElement("a");
        link.href = "/items/" + encodeURIComponent(item.id);
        link.setAttribute("data-test", "upload-item-link");
        link.textContent = text("open");
        parts.status.appendChild(document.createTextNode(" · "));
        parts.status.appendChild(link);
      }
      parts.status.appendChild(id);
    }
  }

  function send(file, parts, done) {
    var body = new FormData();
    body.append("sensitivity", sensitivity());
    body.append("file", file, file.name);
    var request = new XMLHttpRequest();
    request.open("POST", "/api/v1/items");
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.setRequestHeader("Accept", "application/json");
    parts.li.setAttribute("data-status", "sending");
    parts.status.textContent = text("sending");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        parts.bar.max = event.total;
        parts.bar.value = event.loaded;
      }
    });
    request.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
      if (request.status >= 200 && request.status < 300 && answer && answer.items && answer.items.length) {
        var item = answer.items[0];
        var state = item.status === "duplicate" ? "duplicate" : "added";
        finish(parts, state, text(state), item);
      } else {
        var why = answer && answer.error && answer.error.message ? answer.error.message : "HTTP " + request.status;
        finish(parts, "failed", text("failed") + ": " + why, null);
      }
      done();
    });
    request.addEventListener("error", function () {
      finish(parts, "failed", text("failed"), null);
      done();
    });
    request.send(body);
  }

  function next() {
    if (busy || queue.length === 0) return;
    busy = true;
    var job = queue.shift();
    send(job.file, job.parts, function () {
      busy = false;
      next();
    });
  }

  function add(files) {
    for (var i = 0; i < files.length; i++) queue.push({ file: files[i], parts: row(files[i]) });
    next();
  }

  input.addEventListener("change", function () {
    add(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files) add(event.dataTransfer.files);
  });
  // Files dropped beside the zone would make the browser leave the page.
  window.addEventListener("dragover", function (event) { event.preventDefault(); });
  window.addEventListener("drop", function (event) { event.preventDefault(); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
})();
