// propusk login page: optional region → municipality filters above each organisation
// select. Progressive enhancement only: the form works the same without this file.
(function () {
  "use strict";
  var SEP = " — ";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) { e.textContent = text; }
    return e;
  }

  function split(label) {
    var i = label.indexOf(SEP);
    return i < 0 ? [label, ""] : [label.slice(0, i), label.slice(i + SEP.length)];
  }

  function fill(select, placeholder, values, current) {
    select.textContent = "";
    select.appendChild(el("option", { value: "" }, placeholder));
    values.forEach(function (v) {
      var o = el("option", { value: v }, v);
      if (v === current) { o.selected = true; }
      select.appendChild(o);
    });
  }

  function unique(list) {
    return list.filter(function (v, i) { return v && list.indexOf(v) === i; });
  }

  function enhance(orgSelect) {
    var groups = Array.prototype.slice.call(orgSelect.querySelectorAll("optgroup"));
    if (groups.length < 2) { return; }
    var items = groups.map(function (g) {
      var parts = split(g.label);
      return { group: g, region: parts[0], municipality: parts[1] };
    });
    var placeholder = orgSelect.querySelector("option[value='']");
    var selected = orgSelect.value;
    var start = items.filter(function (it) { return it.group.querySelector("option:checked") && selected; })[0];

    var box = el("div", { "class": "org-filters" });
    var regionId = orgSelect.id + "-region";
    var muniId = orgSelect.id + "-municipality";
    var region = el("select", { id: regionId });
    var muni = el("select", { id: muniId });
    box.appendChild(el("label", { "class": "field-label", "for": regionId }, "Регион"));
    box.appendChild(region);
    box.appendChild(el("label", { "class": "field-label", "for": muniId }, "Муниципальное образование"));
    box.appendChild(muni);

    function refreshMunicipalities(current) {
      var r = region.value;
      fill(muni, "Все муниципальные образования", unique(items.filter(function (it) {
        return !r || it.region === r;
      }).map(function (it) { return it.municipality; })), current);
    }

    function refreshOrgs() {
      var r = region.value, m = muni.value, keep = orgSelect.value;
      orgSelect.textContent = "";
      if (placeholder) { orgSelect.appendChild(placeholder); }
      items.forEach(function (it) {
        if ((!r || it.region === r) && (!m || it.municipality === m)) { orgSelect.appendChild(it.group); }
      });
      orgSelect.value = keep;
      if (orgSelect.value !== keep) { orgSelect.value = ""; }
    }

    fill(region, "Все регионы", unique(items.map(function (it) { return it.region; })), start ? start.region : "");
    refreshMunicipalities(start ? start.municipality : "");
    region.addEventListener("change", function () { refreshMunicipalities(""); refreshOrgs(); });
    muni.addEventListener("change", refreshOrgs);

    var label = document.querySelector("label[for='" + orgSelect.id + "']");
    orgSelect.parentNode.insertBefore(box, label || orgSelect);
    refreshOrgs();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("select.org-select[data-filter]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
