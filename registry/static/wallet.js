/* Wallet: as the learner types in the credential chooser, offer the catalogue search's best
   matches in its <datalist>. Without this script the form works the same: the server reads an
   identifier or a title and offers a choice when the text is not exact. */
(function () {
  "use strict";
  var input = document.getElementById("credential");
  var list = document.getElementById("credential-suggestions");
  if (!input || !list || !window.fetch) { return; }
  var endpoint = list.getAttribute("data-search");
  if (!endpoint) { return; }
  var initial = list.innerHTML;
  var timer = null;
  var latest = 0;

  function show(results) {
    list.innerHTML = "";
    results.forEach(function (hit) {
      var option = document.createElement("option");
      option.value = hit.id;
      option.textContent = hit.title;
      list.appendChild(option);
    });
  }

  input.addEventListener("input", function () {
    var text = input.value.trim();
    window.clearTimeout(timer);
    if (text.length < 2) { list.innerHTML = initial; return; }
    timer = window.setTimeout(function () {
      var asked = ++latest;
      fetch(endpoint + "?per_page=10&q=" + encodeURIComponent(text), {
        headers: { "Accept": "application/json" }, credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && asked === latest) { show(answer.results || []); }
        })
        .catch(function () { /* keep the current suggestions */ });
    }, 250);
  });
})();
