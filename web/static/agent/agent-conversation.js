/*
 * kefu agent console, part 6: the conversation (transcript with what the bot understood, actions, notes).
 * Text only (textContent, through KefuAgentKit); shared state and names from agent-core.js (C.part).
 */
window.KefuAgentConsole.part(function (C, kit, state, ui, el, t, API, panels, app) {
  "use strict";

  /* ---- the conversation ---- */
  function whoOf(m) {
    if (m.sender === "user") {
      return state.detail && state.detail.customer && state.detail.customer.name ? state.detail.customer.name : t("customer");
    }
    if (m.sender === "agent") {
      var name = m.agent && m.agent.name ? m.agent.name : t("agent");
      return state.me && m.agent && String(m.agent.id) === String(state.me.id) ? t("you_agent", { name: name }) : name;
    }
    return t("assistant");
  }

  function messageItem(m) {
    var li = el("li", "ag-msg ag-from-" + (m.sender === "user" ? "user" : m.sender === "agent" ? "agent" : "bot"));
    if (m.id) {
      li.setAttribute("data-id", m.id);
    }
    li.append(el("span", "ag-who", whoOf(m)));
    if (m.text) {
      li.append(el("p", "ag-text", m.text));
    }
    if (Array.isArray(m.products) && m.products.length) {
      var cards = el("ul", "ag-cards");
      m.products.forEach(function (p) {
        cards.append(el("li", "ag-card", p && p.name));
      });
      li.append(cards);
    }
    if (Array.isArray(m.buttons) && m.buttons.length) {
      li.append(
        el(
          "p",
          "ag-muted ag-buttons",
          m.buttons
            .map(function (b) {
              return "[" + (b && b.title) + "]";
            })
            .join(" ")
        )
      );
    }
    if (m.sender === "user") {
      var nlu = el("div", "ag-nlu");
      if (m.intent) {
        nlu.append(el("span", "ag-intent", t("intent", { intent: typeof m.intent === "object" ? m.intent.name : m.intent })));
      }
      var confidence = m.confidence !== undefined ? m.confidence : m.intent && m.intent.confidence;
      if (confidence !== undefined && confidence !== null) {
        nlu.append(el("span", "ag-confidence", t("confidence", { value: kit.number(confidence) })));
      }
      if (m.fallback) {
        nlu.append(el("span", "ag-fallback", t("fallback")));
      }
      if (m.sentiment && m.sentiment.label) {
        var label = t("sentiment_" + m.sentiment.label);
        nlu.append(
          el("span", "ag-sentiment ag-sentiment-" + m.sentiment.label, t("sentiment", { label: label, score: kit.number(m.sentiment.score) }))
        );
      }
      Array.prototype.slice.call(nlu.childNodes, 1).forEach(function (span) {
        nlu.insertBefore(document.createTextNode(" · "), span);
      });
      if (nlu.childNodes.length) {
        li.append(nlu);
      }
    }
    return li;
  }

  function appendMessage(m) {
    if (!ui.transcript || (m.id && state.seen[m.id])) {
      return;
    }
    if (m.id) {
      state.seen[m.id] = true;
    }
    ui.transcript.append(messageItem(m));
    ui.transcript.parentNode.scrollTop = ui.transcript.parentNode.scrollHeight;
  }

  function actionBar(d) {
    var bar = el("div", "ag-actions", null, { role: "toolbar", "aria-label": t("title") });
    if (d.status !== "resolved" && (!d.assignee || d.status === "pending")) {
      bar.append(kit.button(t("claim"), "ag-btn ag-primary ag-claim", function () {
        act("claim", undefined, t("claimed"));
      }));
    }
    if (d.status !== "resolved" && state.staff.length) {
      var pick = el("select", "ag-input ag-staff");
      pick.setAttribute("aria-label", t("to_agent"));
      state.staff.forEach(function (s) {
        if (s.active === false) {
          return;
        }
        var o = el("option", null, s.name + (s.on_duty ? " ●" : ""));
        o.value = String(s.id);
        pick.append(o);
      });
      bar.append(pick);
      bar.append(kit.button(t("assign"), "ag-btn ag-assign", function () {
        act("assign", { staff_id: Number(pick.value) }, t("saved"));
      }));
      bar.append(kit.button(t("transfer"), "ag-btn ag-transfer", function () {
        act("transfer", { staff_id: Number(pick.value) }, t("saved"));
      }));
    }
    if (d.status !== "resolved") {
      var until = el("input", "ag-input ag-snooze-until");
      until.type = "datetime-local";
      until.setAttribute("aria-label", t("snooze_until"));
      bar.append(until);
      bar.append(kit.button(t("snooze"), "ag-btn ag-snooze", function () {
        var when = until.value ? new Date(until.value) : new Date(Date.now() + 3600 * 1000);
        act("snooze", { until: when.toISOString() }, t("saved"));
      }));
      var resolve = kit.button(t("resolve"), "ag-btn ag-danger ag-resolve", function () {
        var box = el("div", "ag-confirm", null, { role: "group" });
        box.append(el("span", null, t("resolve_confirm")));
        var yes = kit.button(t("confirm"), "ag-btn ag-danger ag-resolve-confirm", function () {
          act("resolve", undefined, t("resolved"));
        });
        box.append(yes, kit.button(t("keep"), "ag-btn", function () {
          box.remove();
        }));
        bar.append(box);
        yes.focus();
      });
      bar.append(resolve);
    }
    return bar;
  }


  function renderConversation() {
    kit.clear(ui.conv);
    ui.transcript = null;
    var d = state.detail;
    if (!d) {
      ui.conv.append(el("h2", "ag-h2", t("transcript")), el("p", "ag-muted", t("select_conversation")));
      panels.renderCustomer(ui.customer, null, null);
      return;
    }
    var head = el("header", "ag-conv-head");
    head.append(el("h2", "ag-h2", C.customerName(d)));
    head.append(el("span", "ag-badge ag-status-" + d.status, t("status_" + d.status)));
    if (d.escalation_reason) {
      head.append(el("span", "ag-reason-tag", t("escalation", { reason: t("reason_" + d.escalation_reason) })));
    }
    head.append(el("span", "ag-muted", d.assignee ? t("assigned_to", { name: d.assignee.name }) : t("unassigned")));
    ui.conv.append(head, actionBar(d));
    var trail = el("section", "ag-trail");
    panels.renderTrail(trail, d.sentiment_trail || (d.messages || []).filter(function (m) {
      return m.sender === "user" && m.sentiment;
    }).map(function (m) {
      return m.sentiment;
    }));
    ui.conv.append(trail);
    ui.conv.append(el("h3", "ag-h3", t("transcript"), { id: "ag-transcript-h" }));
    var logBox = el("div", "ag-log", null, { role: "log", "aria-live": "off", "aria-labelledby": "ag-transcript-h", tabindex: "0" });
    ui.transcript = el("ol", "ag-transcript");
    logBox.append(ui.transcript);
    state.seen = {};
    ui.conv.append(logBox);
    (d.messages || []).forEach(appendMessage);
    ui.customerTyping = el("p", "ag-typing", t("customer_typing"));
    ui.customerTyping.hidden = true;
    ui.conv.append(ui.customerTyping);
    var notes = el("section", "ag-notes", null, { "aria-labelledby": "ag-notes-h" });
    notes.append(el("h3", "ag-h3", t("notes"), { id: "ag-notes-h" }));
    var list = el("ul", "ag-note-list");
    (d.notes || []).forEach(function (n) {
      var li = el("li", "ag-note");
      li.append(el("span", "ag-note-label", t("note_label")));
      li.append(el("span", "ag-note-who", [n.staff && n.staff.name ? n.staff.name : n.staff_name, kit.time(n.created_at)].filter(Boolean).join(" · ")));
      li.append(el("p", "ag-text", n.text));
      list.append(li);
    });
    if (!(d.notes || []).length) {
      list.append(el("li", "ag-muted", t("no_notes")));
    }
    notes.append(list);
    if (d.status !== "resolved") {
      ui.conv.append(C.composer(d));
    }
    ui.conv.append(notes);
    panels.renderCustomer(ui.customer, d.customer_panel || d.customer, d.status === "resolved" ? null : { order: orderAction, products: sendProducts });
  }

  function openTicket(id) {
    if (String(state.ticketId) !== String(id)) {
      state.draft = "";
    }
    state.ticketId = id;
    state.newCount = 0;
    document.title = C.baseTitle;
    app.removeAttribute("data-new-handoffs");
    if (C.socket && C.socket.connected) {
      C.socket.emit("watch", { ticket_id: id });
    }
    return loadTicket().then(C.renderInbox);
  }

  function loadTicket() {
    if (state.ticketId === null) {
      return Promise.resolve();
    }
    return kit.api("GET", API + "/conversations/" + encodeURIComponent(state.ticketId)).then(function (d) {
      state.detail = d;
      renderConversation();
      app.setAttribute("data-ticket", String(state.ticketId));
    }, C.failed);
  }

  function post(path, body, done) {
    var url = API + "/conversations/" + encodeURIComponent(state.ticketId) + "/" + path;
    /* busy until the conversation is shown again as the server has it now */
    app.setAttribute("data-busy", "true");
    return kit
      .api("POST", url, body === undefined ? {} : body)
      .then(
        function () {
          C.toast(done || t("saved"));
          return Promise.all([loadTicket(), C.refreshInbox()]).then(function () {
            return true;
          });
        },
        function (error) {
          C.failed(error);
          return false;
        }
      )
      .finally(function () {
        app.removeAttribute("data-busy");
      });
  }

  function act(name, body, done) {
    return post(name, body, done);
  }

  function orderAction(orderId, kind) {
    return post("orders/" + encodeURIComponent(orderId) + "/" + kind, {}, t("saved"));
  }

  function sendProducts(ids) {
    return post("products", { product_ids: ids }, t("sent"));
  }


  C.whoOf = whoOf;
  C.messageItem = messageItem;
  C.appendMessage = appendMessage;
  C.actionBar = actionBar;
  C.renderConversation = renderConversation;
  C.openTicket = openTicket;
  C.loadTicket = loadTicket;
  C.post = post;
  C.act = act;
  C.orderAction = orderAction;
  C.sendProducts = sendProducts;
});
