// Evident: keyboard help for every page. No inline handlers anywhere: this
// file is loaded with the page's CSP nonce and attaches its listeners here.
"use strict";

document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  var tag = target && target.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
  var box = document.getElementById("search-box");
  if (box) {
    event.preventDefault();
    box.focus();
    box.select();
  } else if (document.querySelector(".nav a[href='/search']")) {
    event.preventDefault();
    window.location.href = "/search";
  }
});

// Forms that change something carry data-confirm: ask before sending.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
