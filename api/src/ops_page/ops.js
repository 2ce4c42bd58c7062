// Refreshes the page's data every few seconds while the tab is visible, in place (the
// scroll position stays). Without JavaScript the page's Refresh link does the same.
(function () {
  "use strict";
  var EVERY_MS = 5000;
  function swap(page, id) {
    var fresh = page.getElementById(id);
    var current = document.getElementById(id);
    if (fresh && current) current.replaceWith(fresh);
  }
  function refresh() {
    if (document.hidden) return setTimeout(refresh, EVERY_MS);
    fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.status === 401) { location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          swap(page, "data");
          swap(page, "updated");
        }
      })
      .catch(function () { /* a network hiccup: the next round tries again */ })
      .then(function () { setTimeout(refresh, EVERY_MS); });
  }
  setTimeout(refresh, EVERY_MS);
})();
