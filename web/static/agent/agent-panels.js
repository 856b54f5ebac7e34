/*
 * kefu agent console, part 2: the panels beside the conversation.
 *
 * The live overview, the customer panel (profile, orders with one-click cancel / return,
 * RFM segment, value, propensity, product suggestions to send as cards) and the sentiment
 * trail. Text only, through KefuAgentKit. What admins manage is in agent-admin.js.
 */
(function () {
  "use strict";

  var kit = window.KefuAgentKit;
  var el = kit.el;
  var t = kit.t;
  var panels = {};

  /* ---- the live overview ---- */
  var OVERVIEW = [
    ["conversations_today", "ov_conversations_today", "count"],
    ["containment", "ov_containment", "percent"],
    ["waiting", "ov_waiting", "count"],
    ["longest_wait_s", "ov_longest_wait", "duration"],
    ["agents_on_duty", "ov_agents_on_duty", "count"],
    ["csat_today", "ov_csat_today", "score"],
    ["not_understood_last_hour", "ov_not_understood", "count"],
  ];

  function overviewValue(value, kind) {
    if (value === null || value === undefined || value === "") {
      return "–";
    }
    if (Array.isArray(value)) {
      return String(value.length);
    }
    if (kind === "percent") {
      var n = Number(value);
      return isFinite(n) ? Math.round(n <= 1 ? n * 100 : n) + "%" : String(value);
    }
    if (kind === "duration") {
      return kit.duration(value) || "–";
    }
    if (kind === "score") {
      return isFinite(Number(value)) ? kit.number(value, 1) : String(value);
    }
    return String(value);
  }

  panels.renderOverview = function (node, data) {
    kit.clear(node);
    node.append(el("h2", "ag-h2", t("overview")));
    var list = el("dl", "ag-overview-list");
    data = data || {};
    OVERVIEW.forEach(function (row) {
      var value = data[row[0]];
      if (row[0] === "not_understood_last_hour" && value === undefined) {
        value = data.not_understood;
      }
      var item = el("div", "ag-ov-item");
      item.setAttribute("data-key", row[0]);
      item.append(el("dt", null, t(row[1])), el("dd", null, overviewValue(value, row[2])));
      list.append(item);
    });
    node.append(list);
    var misses = data.not_understood_messages || (Array.isArray(data.not_understood) ? data.not_understood : []);
    if (misses.length) {
      var ul = el("ul", "ag-misses");
      misses.slice(0, 5).forEach(function (m) {
        ul.append(el("li", null, typeof m === "string" ? m : m && m.text));
      });
      node.append(ul);
    }
  };

  /* ---- sentiment ---- */
  panels.signed = function (s) {
    if (typeof s === "number") {
      return s;
    }
    if (!s || typeof s !== "object") {
      return null;
    }
    if (typeof s.value === "number") {
      return s.value;
    }
    var score = Number(s.score);
    if (!isFinite(score)) {
      return null;
    }
    if (s.label === "negative") {
      return -Math.abs(score);
    }
    if (s.label === "positive") {
      return Math.abs(score);
    }
    return s.label === "neutral" ? 0 : score;
  };

  panels.renderTrail = function (node, trail) {
    kit.clear(node);
    var values = (Array.isArray(trail) ? trail : []).map(panels.signed).filter(function (v) {
      return typeof v === "number" && isFinite(v);
    });
    node.append(el("h3", "ag-h3", t("sentiment_trail")));
    var label = values.length
      ? t("trail_summary", { count: values.length, first: kit.number(values[0]), last: kit.number(values[values.length - 1]) })
      : t("sentiment_trail");
    node.append(kit.lineChart(values, label));
  };

  /* ---- the customer panel ---- */
  function field(list, label, value) {
    if (value === undefined || value === null || value === "") {
      return;
    }
    var text = typeof value === "object" ? JSON.stringify(value) : String(value);
    list.append(el("dt", null, label), el("dd", null, text));
  }

  panels.confirmInline = confirmInline;
  function confirmInline(host, question, onConfirm) {
    var box = el("div", "ag-confirm", null, { role: "group" });
    box.append(el("span", null, question));
    var yes = kit.button(t("confirm"), "ag-btn ag-danger", function () {
      box.remove();
      onConfirm();
    });
    var no = kit.button(t("keep"), "ag-btn", function () {
      box.remove();
    });
    box.append(yes, no);
    host.append(box);
    yes.focus();
  }

  function orderItem(order, actions) {
    var li = el("li", "ag-order");
    li.setAttribute("data-order", String(order.id));
    var head = el("div", "ag-order-head");
    head.append(el("strong", null, order.id), el("span", "ag-badge", order.status || ""));
    if (order.total !== undefined) {
      head.append(el("span", null, "¥" + kit.number(order.total)));
    }
    li.append(head);
    var tracking = order.tracking_number || order.tracking;
    if (tracking) {
      li.append(el("div", "ag-muted", t("tracking", { value: tracking })));
    }
    var refunds = order.refunds || order.refund_total;
    if (refunds && (!Array.isArray(refunds) || refunds.length)) {
      var shown = Array.isArray(refunds)
        ? refunds
            .map(function (r) {
              return typeof r === "object" ? [r.status, r.amount].filter(Boolean).join(" ") : String(r);
            })
            .join(", ")
        : String(refunds);
      li.append(el("div", "ag-muted", t("refunds", { value: shown })));
    }
    if (actions) {
      var bar = el("div", "ag-order-actions");
      var cancel = kit.button(t("cancel_order"), "ag-btn ag-cancel-order", function () {
        confirmInline(li, t("confirm_cancel", { order: order.id }), function () {
          actions.order(order.id, "cancel");
        });
      });
      var ret = kit.button(t("start_return"), "ag-btn ag-return-order", function () {
        confirmInline(li, t("confirm_return", { order: order.id }), function () {
          actions.order(order.id, "return");
        });
      });
      if (order.cancellable !== false) {
        bar.append(cancel);
      }
      if (order.returnable !== false) {
        bar.append(ret);
      }
      if (bar.childNodes.length) {
        li.append(bar);
      }
    }
    return li;
  }

  panels.renderCustomer = function (node, customer, actions) {
    kit.clear(node);
    node.append(el("h2", "ag-h2", t("customer_panel")));
    customer = customer || {};
    var verified = customer.verified !== false && (customer.id || customer.profile);
    if (!verified) {
      node.append(el("p", "ag-muted", t("visitor_proved")));
    }
    var profile = customer.profile || customer;
    var dl = el("dl", "ag-profile");
    field(dl, t("customer"), profile.name || customer.name);
    field(dl, "Email", profile.email);
    field(dl, "ID", customer.id || profile.id);
    if (customer.scores_pending) {
      field(dl, t("segment"), t("scores_pending"));
    }
    var segment = customer.segment;
    if (segment && typeof segment === "object") {
      field(dl, t("segment"), segment[kit.lang] || segment.key);
    }
    if (customer.rfm && typeof customer.rfm === "object") {
      field(dl, "RFM", t("rfm_scores", { r: customer.rfm.r, f: customer.rfm.f, m: customer.rfm.m }));
    }
    var value = customer.lifetime_value !== undefined ? customer.lifetime_value : customer.lifetime_value_recent;
    if (value !== undefined && value !== null) {
      field(dl, t("lifetime_value"), "¥" + kit.number(value));
    }
    if (customer.propensity !== undefined && customer.propensity !== null) {
      var p = Number(customer.propensity);
      field(dl, t("propensity"), isFinite(p) ? Math.round(p * 100) + "%" : customer.propensity);
    }
    node.append(dl);
    var orders = customer.orders || customer.proved_orders || [];
    if (orders.length) {
      node.append(el("h3", "ag-h3", t("orders")));
      var ol = el("ul", "ag-orders");
      orders.forEach(function (o) {
        if (o && o.id) {
          ol.append(orderItem(o, actions));
        }
      });
      node.append(ol);
    } else if (!verified) {
      node.append(el("p", "ag-muted", t("nothing_proved")));
    }
    var returns = customer.returns || [];
    if (returns.length) {
      node.append(el("h3", "ag-h3", t("returns")));
      var rl = el("ul", "ag-returns");
      returns.forEach(function (r) {
        rl.append(el("li", null, [r.id, r.order_id, r.status].filter(Boolean).join(" · ")));
      });
      node.append(rl);
    }
    var suggestions = customer.suggestions || [];
    if (suggestions.length && actions) {
      node.append(el("h3", "ag-h3", t("suggestions")));
      var form = el("form", "ag-suggestions");
      suggestions.forEach(function (s) {
        var label = el("label", "ag-suggestion");
        var box = el("input");
        box.type = "checkbox";
        box.value = String(s.id);
        box.setAttribute("aria-label", t("select_product", { name: s.name }));
        label.append(box, el("span", null, s.name));
        if (s.price !== undefined) {
          label.append(el("span", "ag-muted", " ¥" + kit.number(s.price)));
        }
        if (s.reason) {
          label.append(el("span", "ag-reason", s.reason));
        }
        form.append(label);
      });
      var submit = el("button", "ag-btn ag-send-cards", t("send_cards"));
      submit.type = "submit";
      form.append(submit);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var ids = Array.prototype.map.call(form.querySelectorAll("input:checked"), function (b) {
          return b.value;
        });
        if (ids.length) {
          actions.products(ids);
        }
      });
      node.append(form);
    }
  };

  window.KefuAgentPanels = panels;
})();
