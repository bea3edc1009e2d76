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
