// propusk login and linking forms: the organisation cascade «Регион» → «Городской округ /
// Муниципальный район» → «Населенный пункт» → «Тип ОО» → «Организация», live. Progressive
// enhancement only: without this file «Показать» asks the server, whose rule
// (src/web/org_cascade.rs) this script repeats on the options' data-* attributes: a level
// offers the values left by the levels above, drops a choice that is not among them, and
// takes the only value when there is one; an empty choice does not filter.
(function () {
  "use strict";

  function option(value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  }

  function enhance(box) {
    var select = document.getElementById(box.getAttribute("data-select"));
    if (!select) { return; }
    var filters = Array.prototype.slice.call(box.querySelectorAll("select[data-level]"));
    var placeholder = select.querySelector("option[value='']");
    var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (g) {
      var options = Array.prototype.slice.call(g.querySelectorAll("option"));
      options.forEach(function (o) { o.hidden = false; o.disabled = false; });
      g.hidden = false;
      return { el: g, options: options };
    });
    var items = [];
    groups.forEach(function (g) { items = items.concat(g.options); });

    // Whether organisation `o` is left by the first `upto` filters.
    function matches(o, upto) {
      for (var i = 0; i < upto; i++) {
        var v = filters[i].value;
        if (v && o.getAttribute("data-" + filters[i].getAttribute("data-level")) !== v) { return false; }
      }
      return true;
    }

    function refill(i) {
      var f = filters[i], attr = "data-" + f.getAttribute("data-level"), keep = f.value, values = [];
      items.forEach(function (o) {
        var v = o.getAttribute(attr);
        if (v && values.indexOf(v) < 0 && matches(o, i)) { values.push(v); }
      });
      values.sort();
      f.textContent = "";
      f.appendChild(option("", f.getAttribute("data-placeholder")));
      values.forEach(function (v) { f.appendChild(option(v, v)); });
      f.value = values.indexOf(keep) >= 0 ? keep : (values.length === 1 ? values[0] : "");
    }

    function showOrganisations() {
      var keep = select.value;
      select.textContent = "";
      if (placeholder) { select.appendChild(placeholder); }
      groups.forEach(function (g) {
        g.el.textContent = "";
        g.options.forEach(function (o) { if (matches(o, filters.length)) { g.el.appendChild(o); } });
        if (g.el.children.length) { select.appendChild(g.el); }
      });
      select.value = keep;
      if (select.value !== keep) { select.value = ""; }
    }

    filters.forEach(function (f, i) {
      f.addEventListener("change", function () {
        for (var j = i + 1; j < filters.length; j++) { refill(j); }
        showOrganisations();
      });
    });
    // Live now: no «Показать» (and the filters of the linking form appear).
    var refresh = box.querySelector(".refresh-choices");
    if (refresh) { refresh.parentNode.removeChild(refresh); }
    box.hidden = false;
    showOrganisations();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".org-cascade[data-select]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
