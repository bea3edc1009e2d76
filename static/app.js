// certreg: small progressive enhancements. Every page works without this
// file; it only submits the filter form when a select changes.
(function () {
  "use strict";
  var form = document.querySelector("form.filters[data-autosubmit]");
  if (!form) {
    return;
  }
  form.addEventListener("change", function (ev) {
    if (ev.target && ev.target.tagName === "SELECT") {
      form.submit();
    }
  });
})();

// The language switch remembers the reader's explicit choice in a cookie
// that holds only "zh" or "en" (no identifier): "/" then opens in that
// language instead of guessing from the browser's settings.
(function () {
  "use strict";
  var sw = document.querySelector("a.lang-switch");
  if (!sw) {
    return;
  }
  sw.addEventListener("click", function () {
    var lang = (sw.getAttribute("hreflang") || "").indexOf("en") === 0 ? "en" : "zh";
    document.cookie = "certreg_lang=" + lang + "; Path=/; Max-Age=31536000; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  });
})();
