// propusk access-request form: filters «Организация» by «Тип организации» and «Класс»
// by «Организация» as soon as they change. Progressive enhancement only: without this
// file the «Показать» button re-renders the form with the same filtering on the server.
(function () {
  "use strict";

  // Shows the options of `select` whose `attr` equals the value of its parent select.
  function filter(select, parent) {
    var attr = select.getAttribute("data-attr");
    var chosen = parent.disabled ? "" : parent.value;
    var keep = select.value;
    var stillThere = false;
    Array.prototype.forEach.call(select.options, function (o) {
      if (!o.value) {
        o.textContent = select.getAttribute(chosen ? "data-placeholder-ready" : "data-placeholder-empty");
        return;
      }
      var show = chosen !== "" && o.getAttribute(attr) === chosen;
      o.hidden = !show;
      o.disabled = !show;
      if (show && o.value === keep) { stillThere = true; }
    });
    if (!stillThere) { select.value = ""; }
    select.dispatchEvent(new Event("change"));
  }

  function init() {
    var form = document.getElementById("request-form");
    if (!form) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("select[data-depends]"), function (select) {
      var parent = document.getElementById(select.getAttribute("data-depends"));
      if (!parent) { return; }
      parent.addEventListener("change", function () { filter(select, parent); });
    });
    // Removed (not just hidden) so that Enter submits the form with «Отправить».
    var refresh = form.querySelector(".refresh-choices");
    if (refresh) { refresh.parentNode.removeChild(refresh); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
