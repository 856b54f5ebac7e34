/*
 * kefu agent console, part 5: the inbox (views, unread counts, search, new hand-off notification).
 * Text only (textContent, through KefuAgentKit); shared state and names from agent-core.js (C.part).
 */
window.KefuAgentConsole.part(function (C, kit, state, ui, el, t, API, panels, app) {
  "use strict";

  var refreshTimer = null;

  /* ---- the inbox ---- */
  function customerName(item) {
    var c = item.customer || {};
    return c.name || c.id || t("visitor");
  }

  function renderInbox() {
    C.VIEWS.forEach(function (view) {
      var b = ui.viewButtons[view];
      var items = state.lists[view] || [];
      var unread = items.reduce(function (sum, i) {
        return sum + (Number(i.unread) || 0);
      }, 0);
      kit.clear(b);
      b.append(el("span", null, t("view_" + view)), el("span", "ag-count", String(items.length), { "aria-hidden": "true" }));
      if (unread) {
        b.append(el("span", "ag-unread", String(unread), { "aria-hidden": "true" }));
      }
      b.append(el("span", "ag-sr", ", " + t("count_label", { count: items.length, unread: unread })));
      b.setAttribute("aria-pressed", view === state.view ? "true" : "false");
    });
    kit.clear(ui.list);
    var items = state.lists[state.view] || [];
    if (!items.length) {
      ui.list.append(el("li", "ag-muted ag-empty", t("empty_list")));
    }
    items.forEach(function (item) {
      var li = el("li", "ag-item");
      var b = kit.button("", "ag-item-button", function () {
        C.openTicket(item.ticket_id);
      });
      b.setAttribute("data-ticket", String(item.ticket_id));
      if (String(item.ticket_id) === String(state.ticketId)) {
        b.setAttribute("aria-current", "true");
      }
      var line = el("span", "ag-item-head");
      line.append(el("strong", null, customerName(item)), el("span", "ag-badge ag-status-" + item.status, t("status_" + item.status)));
      if (Number(item.unread)) {
        line.append(el("span", "ag-unread", t("unread", { count: item.unread })));
      }
      b.append(line);
      var last = item.last_message;
      var lastText = last && typeof last === "object" ? last.text : last;
      if (lastText) {
        b.append(el("span", "ag-item-last", lastText));
      }
      var meta = [];
      if (item.escalation_reason) {
        meta.push(t("reason_" + item.escalation_reason));
      }
      if (item.waiting_since && item.status === "pending") {
        meta.push(t("waiting_since", { time: kit.time(item.waiting_since) }));
      }
      meta.push(item.assignee ? t("assigned_to", { name: item.assignee.name }) : t("unassigned"));
      b.append(el("span", "ag-item-meta", meta.join(" · ")));
      li.append(b);
      ui.list.append(li);
    });
  }

  function notifyNew(items) {
    var ids = {};
    items.forEach(function (i) {
      ids[i.ticket_id] = true;
    });
    if (state.knownPending) {
      var fresh = items.filter(function (i) {
        return !state.knownPending[i.ticket_id];
      });
      if (fresh.length) {
        state.newCount += fresh.length;
        document.title = t("new_handoff_title", { count: state.newCount }) + " · " + C.baseTitle;
        kit.beep();
        fresh.forEach(function (i) {
          C.announce(t("new_handoff", { name: customerName(i) }));
        });
        app.setAttribute("data-new-handoffs", String(state.newCount));
      }
    }
    state.knownPending = ids;
  }

  function refreshInbox() {
    var query = state.q ? "&q=" + encodeURIComponent(state.q) : "";
    return Promise.all(
      C.VIEWS.map(function (view) {
        return kit.api("GET", API + "/conversations?view=" + view + query).then(
          function (data) {
            state.lists[view] = kit.list(data, "conversations");
          },
          function () {
            state.lists[view] = state.lists[view] || [];
          }
        );
      })
    ).then(function () {
      if (!state.q) {
        notifyNew(state.lists.pending || []);
      }
      renderInbox();
      app.setAttribute("data-inbox", "loaded");
    });
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshInbox, 80);
  }


  C.customerName = customerName;
  C.renderInbox = renderInbox;
  C.notifyNew = notifyNew;
  C.refreshInbox = refreshInbox;
  C.scheduleRefresh = scheduleRefresh;
});
