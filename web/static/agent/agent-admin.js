/*
 * kefu agent console, part 3: what admins manage (canned replies, staff accounts, the
 * opening hours). Agents see the hours read-only; the server refuses their changes (403)
 * whatever this page shows. Text only, through KefuAgentKit.
 */
(function () {
  "use strict";

  var kit = window.KefuAgentKit;
  var el = kit.el;
  var t = kit.t;
  var admin = {};

  function labelled(form, key, input) {
    var label = el("label", "ag-field", t(key));
    label.append(input);
    form.append(label);
    return input;
  }

  function input(type, name, maxLength) {
    var node = el("input", "ag-input");
    node.type = type;
    node.name = name;
    if (maxLength) {
      node.maxLength = maxLength;
    }
    return node;
  }

  function renderCanned (node, canned, actions) {
    kit.clear(node);
    node.append(el("h2", "ag-h2", t("manage_canned")));
    var list = el("ul", "ag-canned-list");
    canned.forEach(function (c) {
      var li = el("li");
      li.append(el("code", null, "/" + c.shortcut), el("span", null, " " + (kit.lang === "zh" ? c.text_zh : c.text_en)));
      li.append(
        kit.button(t("delete"), "ag-btn ag-small", function () {
          actions.deleteCanned(c);
        })
      );
      list.append(li);
    });
    node.append(list);
    var form = el("form", "ag-canned-form");
    var inputs = {};
    [
      ["shortcut", "shortcut", "input"],
      ["text_zh", "text_zh", "textarea"],
      ["text_en", "text_en", "textarea"],
    ].forEach(function (spec) {
      var label = el("label", null, t(spec[1]));
      var input = el(spec[2], "ag-input");
      input.name = spec[0];
      input.required = true;
      if (spec[0] === "shortcut") {
        input.pattern = "[a-z0-9_-]+";
        input.maxLength = 32;
      } else {
        input.maxLength = 2000;
        input.rows = 2;
      }
      inputs[spec[0]] = input;
      label.append(input);
      form.append(label);
    });
    var add = el("button", "ag-btn", t("add"));
    add.type = "submit";
    form.append(add);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      actions.addCanned({
        shortcut: inputs.shortcut.value.trim(),
        text_zh: inputs.text_zh.value.trim(),
        text_en: inputs.text_en.value.trim(),
      });
    });
    node.append(form);
  }

  /* The opening hours: read-only for agents, a form for admins. */
  function renderHours(node, hours, isAdmin, actions) {
    var box = el("section", "ag-hours", null, { "aria-labelledby": "ag-hours-h" });
    box.append(el("h2", "ag-h2", t("hours"), { id: "ag-hours-h" }));
    hours = hours || {};
    var dl = el("dl", "ag-profile");
    dl.append(el("dt", null, t("hours_spec")), el("dd", "ag-hours-spec", hours.opening_hours || "–"));
    dl.append(el("dt", null, t("timezone")), el("dd", null, hours.support_tz || "–"));
    var state = (hours.open_now ? t("open_now") : t("closed_now")) + " · " + t(hours.custom ? "hours_custom" : "hours_default");
    dl.append(el("dt", null, t("hours_now")), el("dd", "ag-hours-state", state));
    box.append(dl);
    if (isAdmin) {
      var form = el("form", "ag-hours-form");
      var spec = labelled(form, "hours_spec", input("text", "opening_hours", 500));
      spec.value = hours.opening_hours || "";
      spec.setAttribute("aria-describedby", "ag-hours-help");
      form.append(el("p", "ag-muted", t("hours_help"), { id: "ag-hours-help" }));
      var tz = labelled(form, "timezone", input("text", "support_tz", 64));
      tz.value = hours.support_tz || "";
      tz.required = true;
      var save = el("button", "ag-btn ag-primary ag-hours-save", t("save"));
      save.type = "submit";
      form.append(save);
      if (hours.custom) {
        form.append(kit.button(t("reset_hours"), "ag-btn ag-hours-reset", function () {
          actions.saveHours({ reset: true });
        }));
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        actions.saveHours({ opening_hours: spec.value.trim(), support_tz: tz.value.trim() });
      });
      box.append(form);
    }
    node.append(box);
  }

  function renderStaff(node, staff, me, actions) {
    var box = el("section", "ag-staff-admin", null, { "aria-labelledby": "ag-staff-h" });
    box.append(el("h2", "ag-h2", t("manage_staff"), { id: "ag-staff-h" }));
    var list = el("ul", "ag-staff-list");
    staff.forEach(function (s) {
      var li = el("li", "ag-staff-row");
      li.setAttribute("data-email", s.email || "");
      var role = t(s.role === "admin" ? "role_admin" : "role_agent");
      var words = [s.name, s.email, role];
      if (s.active === false) {
        words.push(t("disabled"));
      }
      li.append(el("span", null, words.filter(Boolean).join(" · ")));
      if (s.active !== false && (!me || String(s.id) !== String(me.id))) {
        li.append(kit.button(t("disable"), "ag-btn ag-small ag-staff-disable", function () {
          actions.confirm(li, t("confirm_disable", { name: s.name }), function () {
            actions.disableStaff(s.email);
          });
        }));
      }
      list.append(li);
    });
    box.append(list);
    var form = el("form", "ag-staff-form");
    var email = labelled(form, "staff_email", input("email", "email", 320));
    var name = labelled(form, "staff_name", input("text", "name", 200));
    var role = el("select", "ag-input");
    role.name = "role";
    ["agent", "admin"].forEach(function (r) {
      var o = el("option", null, t("role_" + r));
      o.value = r;
      role.append(o);
    });
    labelled(form, "staff_role", role);
    var password = labelled(form, "staff_password", input("password", "password", 200));
    password.autocomplete = "new-password";
    password.minLength = 8;
    [email, name, password].forEach(function (i) {
      i.required = true;
    });
    var add = el("button", "ag-btn ag-staff-add", t("add_staff"));
    add.type = "submit";
    form.append(add);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      actions.addStaff({ email: email.value.trim(), name: name.value.trim(), role: role.value, password: password.value });
    });
    box.append(form);
    node.append(box);
  }

  /* Everything in the admin area: `data` has canned, hours, staff, me. */
  admin.render = function (node, data, actions) {
    kit.clear(node);
    var isAdmin = data.me && data.me.role === "admin";
    renderHours(node, data.hours, isAdmin, actions);
    if (isAdmin) {
      var canned = el("section", "ag-canned-admin");
      renderCanned(canned, data.canned || [], actions);
      node.append(canned);
      renderStaff(node, data.staff || [], data.me, actions);
    }
  };

  window.KefuAgentAdmin = admin;
})();
