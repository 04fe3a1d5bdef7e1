// Evident item page: loads the item's extracted text into the preview
// (as text: never as HTML).
"use strict";

(function () {
  var box = document.getElementById("item-text");
  if (!box) return;
  var source = box.getAttribute("data-src");
  var request = new XMLHttpRequest();
  request.open("GET", source);
  request.addEventListener("load", function () {
    if (request.status === 200) {
      var text = request.responseText;
      if (request.getResponseHeader("X-Evident-Truncated") === "true") text += "\n…";
      box.textContent = text;
      box.setAttribute("data-loaded", "true");
    } else {
      box.textContent = "HTTP " + request.status;
      box.setAttribute("data-loaded", "failed");
    }
  });
  request.addEventListener("error", function () {
    box.textContent = "—";
    box.setAttribute("data-loaded", "failed");
  });
  request.send();
})();
