/*
 * kefu agent console, part 3: the inbox, the conversation and the live channel.
 *
 * State comes from the JSON API under /agent/api/; the socket.io namespace /agent pushes
 * ticket changes, customer messages, customer typing and the overview. Everything the
 * customer, the bot or another agent wrote is set with textContent.
 */
(function () {
  "use strict";

  var kit = window.KefuAgentKit;
  var panels = window.KefuAgentPanels;
  var el = kit.el;
  var t = kit.t;
  var app = document.getElementById("agent-app");
  var VIEWS = ["pending", "mine", "unassigned", "open", "snoozed", "resolved"];
  var API = "/agent/api";
  var TYPING_EVERY_MS = 2000;
  var TYPING_IDLE_MS = 3000;

  var state = {
    me: null,
    view: "pending",
    q: "",
    lists: {},
    ticketId: null,
    detail: null,
    seen: {},
    canned: [],
    staff: [],
    overview: null,
    knownPending: null,
    newCount: 0,
    draft: "",
  };
  var ui = {};
  var socket = null;
  var refreshTimer = null;
  var typingSent = 0;
  var typingTimer = null;
  var customerTypingTimer = null;
  var baseTitle = document.title;

  function announce(text) {
    var p = el("p", null, text);
    ui.live.append(p);
    while (ui.live.childNodes.length > 3) {
      ui.live.removeChild(ui.live.firstChild);
    }
  }

  function toast(text, isError) {
    ui.toast.textContent = text;
    ui.toast.className = "ag-toast" + (isError ? " ag-toast-error" : "");
    ui.toast.hidden = false;
  }

  function failed(error) {
    toast(t("failed", { error: error && error.message ? error.message : String(error) }), true);
  }

  /* ---- the page's frame ---- */
  function buildShell() {
    kit.clear(app);
    document.title = t("title");
    baseTitle = document.title;
    var top = el("header", "ag-top");
    top.append(el("h1", "ag-title", t("title")));
    ui.me = el("span", "ag-me");
    var duty = el("label", "ag-duty");
    ui.duty = el("input");
    ui.duty.type = "checkbox";
    ui.duty.id = "ag-duty";
    ui.duty.addEventListener("change", function () {
      kit.api("POST", API + "/duty", { on_duty: ui.duty.checked }).catch(failed);
    });
    duty.append(ui.duty, el("span", null, " " + t("on_duty")));
    var lang = kit.button(t("lang_toggle"), "ag-btn ag-lang", function () {
      kit.setLang(kit.lang === "zh" ? "en" : "zh");
      rebuild();
      document.querySelector(".ag-lang").focus();
    });
    lang.title = t("lang_toggle_label");
    lang.lang = kit.lang === "zh" ? "en" : "zh";
    var shop = el("a", "ag-link", t("shop"));
    shop.href = "/";
    var logout = el("form", "ag-logout");
    logout.method = "post";
    logout.action = "/staff/logout";
    var out = el("button", "ag-btn", t("logout"));
    out.type = "submit";
    logout.append(out);
    top.append(ui.me, duty, lang, shop, logout);

    ui.toast = el("div", "ag-toast", null, { role: "status" });
    ui.toast.hidden = true;
    ui.live = el("div", "ag-sr", null, { "aria-live": "polite" });

    var grid = el("div", "ag-grid");
    var inbox = el("nav", "ag-inbox", null, { "aria-label": t("inbox") });
    inbox.append(el("h2", "ag-h2", t("inbox")));
    var search = el("form", "ag-search", null, { role: "search" });
    ui.q = el("input", "ag-input");
    ui.q.type = "search";
    ui.q.value = state.q;
    ui.q.maxLength = 100;
    ui.q.setAttribute("aria-label", t("search"));
    ui.q.placeholder = t("search");
    var go = el("button", "ag-btn", t("search_button"));
    go.type = "submit";
    search.append(ui.q, go);
    search.addEventListener("submit", function (event) {
      event.preventDefault();
      state.q = ui.q.value.trim();
      refreshInbox();
    });
    ui.views = el("div", "ag-views", null, { role: "group", "aria-label": t("views") });
    ui.viewButtons = {};
    VIEWS.forEach(function (view) {
      var b = kit.button("", "ag-view", function () {
        state.view = view;
        renderInbox();
        refreshInbox();
      });
      b.setAttribute("data-view", view);
      ui.viewButtons[view] = b;
      ui.views.append(b);
    });
    ui.list = el("ul", "ag-list");
    inbox.append(search, ui.views, ui.list);

    ui.conv = el("main", "ag-conv", null, { id: "ag-conv" });
    var side = el("aside", "ag-side", null, { "aria-label": t("customer_panel") });
    ui.overview = el("section", "ag-overview", null, { "aria-live": "off" });
    ui.customer = el("section", "ag-customer");
    ui.cannedAdmin = el("section", "ag-canned-admin");
    ui.cannedAdmin.hidden = true;
    side.append(ui.overview, ui.customer, ui.cannedAdmin);
    grid.append(inbox, ui.conv, side);
    app.append(top, ui.toast, grid, ui.live);
  }

  function rebuild() {
    buildShell();
    renderMe();
    renderInbox();
    renderConversation();
    panels.renderOverview(ui.overview, state.overview);
    renderCannedAdmin();
  }

  function renderMe() {
    if (!state.me) {
      return;
    }
    var role = t(state.me.role === "admin" ? "role_admin" : "role_agent");
    ui.me.textContent = t("signed_in_as", { name: state.me.name || state.me.email || "", role: role });
    ui.duty.checked = !!state.me.on_duty;
  }

  /* ---- the inbox ---- */
  function customerName(item) {
    var c = item.customer || {};
    return c.name || c.id || t("visitor");
  }

  function renderInbox() {
    VIEWS.forEach(function (view) {
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
        openTicket(item.ticket_id);
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
        document.title = t("new_handoff_title", { count: state.newCount }) + " · " + baseTitle;
        kit.beep();
        fresh.forEach(function (i) {
          announce(t("new_handoff", { name: customerName(i) }));
        });
        app.setAttribute("data-new-handoffs", String(state.newCount));
      }
    }
    state.knownPending = ids;
  }

  function refreshInbox() {
    var query = state.q ? "&q=" + encodeURIComponent(state.q) : "";
    return Promise.all(
      VIEWS.map(function (view) {
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

  function composer(d) {
    var form = el("form", "ag-composer");
    var label = el("label", "ag-label", t("composer"), { for: "ag-reply" });
    var box = el("textarea", "ag-input ag-reply");
    box.id = "ag-reply";
    box.rows = 3;
    box.maxLength = 2000;
    box.setAttribute("aria-describedby", "ag-reply-help");
    var help = el("p", "ag-muted", t("composer_help"), { id: "ag-reply-help" });
    form.append(label);
    var suggested = d.suggested_reply && d.suggested_reply.text;
    if (state.draft) {
      box.value = state.draft;
    } else if (suggested) {
      box.value = suggested;
      form.append(el("p", "ag-suggested-label", t("suggested")));
    }
    form.append(box, help);
    box.addEventListener("input", function () {
      state.draft = box.value;
      expandCanned(box, d);
      agentTyped();
    });
    var canned = el("div", "ag-canned");
    var pick = el("select", "ag-input ag-canned-pick");
    pick.setAttribute("aria-label", t("canned"));
    state.canned.forEach(function (c) {
      var o = el("option", null, "/" + c.shortcut);
      o.value = c.shortcut;
      pick.append(o);
    });
    if (state.canned.length) {
      canned.append(pick, kit.button(t("insert"), "ag-btn ag-insert", function () {
        insertCanned(box, pick.value, d);
      }));
    }
    var send = el("button", "ag-btn ag-primary ag-send", t("send"));
    send.type = "submit";
    var note = kit.button(t("add_note"), "ag-btn ag-note-button", function () {
      var text = box.value.trim();
      if (text) {
        post("notes", { text: text }, t("note_added")).then(function (ok) {
          if (ok) {
            box.value = "";
            state.draft = "";
          }
        });
      }
    });
    canned.append(send, note);
    form.append(canned);
    var product = el("div", "ag-canned ag-product-by-id");
    var productId = el("input", "ag-input ag-product-id");
    productId.maxLength = 32;
    productId.setAttribute("aria-label", t("product_id"));
    productId.placeholder = t("product_id");
    product.append(productId, kit.button(t("send_card"), "ag-btn ag-send-card", function () {
      var id = productId.value.trim();
      if (id) {
        sendProducts([id]).then(function (ok) {
          if (ok) {
            productId.value = "";
          }
        });
      }
    }));
    form.append(product);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = box.value.trim();
      if (!text) {
        return;
      }
      stopTyping();
      post("messages", { text: text }, t("sent")).then(function (ok) {
        if (ok) {
          box.value = "";
          state.draft = "";
        }
      });
    });
    ui.reply = box;
    return form;
  }

  function cannedText(shortcut, d) {
    var found = state.canned.filter(function (c) {
      return c.shortcut === shortcut;
    })[0];
    if (!found) {
      return null;
    }
    return (d.lang === "en" ? found.text_en : found.text_zh) || found.text_zh || found.text_en;
  }

  function insertCanned(box, shortcut, d) {
    var text = cannedText(shortcut, d);
    if (text) {
      box.value = box.value ? box.value.replace(/\s*$/, " ") + text : text;
      state.draft = box.value;
      box.focus();
    }
  }

  function expandCanned(box, d) {
    var match = /(^|\s)\/([a-z0-9_-]+)\s$/.exec(box.value);
    if (!match) {
      return;
    }
    var text = cannedText(match[2], d);
    if (text) {
      box.value = box.value.slice(0, match.index + match[1].length) + text;
      state.draft = box.value;
    }
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
    head.append(el("h2", "ag-h2", customerName(d)));
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
      ui.conv.append(composer(d));
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
    document.title = baseTitle;
    app.removeAttribute("data-new-handoffs");
    if (socket && socket.connected) {
      socket.emit("watch", { ticket_id: id });
    }
    return loadTicket().then(renderInbox);
  }

  function loadTicket() {
    if (state.ticketId === null) {
      return Promise.resolve();
    }
    return kit.api("GET", API + "/conversations/" + encodeURIComponent(state.ticketId)).then(function (d) {
      state.detail = d;
      renderConversation();
      app.setAttribute("data-ticket", String(state.ticketId));
    }, failed);
  }

  function post(path, body, done) {
    var url = API + "/conversations/" + encodeURIComponent(state.ticketId) + "/" + path;
    /* busy until the conversation is shown again as the server has it now */
    app.setAttribute("data-busy", "true");
    return kit
      .api("POST", url, body === undefined ? {} : body)
      .then(
        function () {
          toast(done || t("saved"));
          return Promise.all([loadTicket(), refreshInbox()]).then(function () {
            return true;
          });
        },
        function (error) {
          failed(error);
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

  /* ---- typing: the agent's (throttled) to the customer ---- */
  function agentTyped() {
    var now = Date.now();
    if (now - typingSent >= TYPING_EVERY_MS && state.ticketId !== null) {
      typingSent = now;
      kit.api("POST", API + "/conversations/" + encodeURIComponent(state.ticketId) + "/typing", { typing: true }).catch(function () {});
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSent && state.ticketId !== null) {
      typingSent = 0;
      kit.api("POST", API + "/conversations/" + encodeURIComponent(state.ticketId) + "/typing", { typing: false }).catch(function () {});
    }
  }

  /* ---- canned replies ---- */
  function loadCanned() {
    return kit.api("GET", API + "/canned").then(function (data) {
      state.canned = kit.list(data, "canned");
      renderCannedAdmin();
    }, function () {});
  }

  function renderCannedAdmin() {
    var admin = state.me && state.me.role === "admin";
    ui.cannedAdmin.hidden = !admin;
    if (admin) {
      panels.renderCannedAdmin(ui.cannedAdmin, state.canned, {
        addCanned: function (body) {
          kit.api("POST", API + "/canned", body).then(function () {
            toast(t("saved"));
            return loadCanned();
          }, failed);
        },
        deleteCanned: function (c) {
          kit.api("DELETE", API + "/canned", { shortcut: c.shortcut }).then(function () {
            toast(t("saved"));
            return loadCanned();
          }, failed);
        },
      });
    }
  }

  /* ---- the live channel ---- */
  function loadOverview() {
    return kit.api("GET", API + "/overview").then(function (data) {
      state.overview = data;
      panels.renderOverview(ui.overview, data);
    }, function () {});
  }

  function connect() {
    if (typeof window.io !== "function") {
      return;
    }
    socket = window.io("/agent", { path: "/socket.io", withCredentials: true });
    socket.on("connect", function () {
      app.setAttribute("data-live", "true");
      if (state.ticketId !== null) {
        socket.emit("watch", { ticket_id: state.ticketId });
        loadTicket(); /* catch up on what happened while disconnected */
      }
      scheduleRefresh();
    });
    socket.on("disconnect", function () {
      app.setAttribute("data-live", "false");
    });
    socket.on("ticket", function () {
      scheduleRefresh();
      loadOverview();
    });
    var unparsed = {}; /* customer messages pushed before the bot parsed them, by id */
    socket.on("message", function (m) {
      if (m && String(m.ticket_id) === String(state.ticketId)) {
        appendMessage(m);
        if (m.sender === "user") {
          unparsed[m.id] = m;
          ui.customerTyping.hidden = true;
          announce(whoOf(m) + ": " + (m.text || ""));
        }
      } else {
        scheduleRefresh();
      }
    });
    socket.on("understood", function (data) {
      /* what the bot understood of a customer message, once Rasa has stored it */
      var m = data && unparsed[data.id];
      delete unparsed[data && data.id];
      if (!m || !ui.transcript || String(data.ticket_id) !== String(state.ticketId)) {
        return;
      }
      var old = ui.transcript.querySelector('li[data-id="' + CSS.escape(String(data.id)) + '"]');
      if (old) {
        old.replaceWith(
          messageItem(Object.assign({}, m, { intent: data.intent, confidence: data.confidence, fallback: data.fallback, sentiment: data.sentiment }))
        );
      }
    });
    socket.on("typing", function (data) {
      if (data && String(data.ticket_id) === String(state.ticketId) && ui.customerTyping) {
        ui.customerTyping.hidden = !data.typing;
        clearTimeout(customerTypingTimer);
        customerTypingTimer = setTimeout(function () {
          ui.customerTyping.hidden = true;
        }, 10000);
      }
    });
    socket.on("overview", function (data) {
      state.overview = data;
      panels.renderOverview(ui.overview, data);
    });
  }

  window.addEventListener("focus", function () {
    if (state.newCount) {
      state.newCount = 0;
      document.title = baseTitle;
    }
  });

  /* ---- start ---- */
  kit.setLang(kit.lang);
  buildShell();
  renderInbox();
  renderConversation();
  panels.renderOverview(ui.overview, null);
  kit.api("GET", API + "/me")
    .then(function (me) {
      state.me = me;
      renderMe();
      return Promise.all([
        refreshInbox(),
        loadOverview(),
        loadCanned(),
        kit.api("GET", API + "/staff").then(
          function (data) {
            state.staff = kit.list(data, "staff");
          },
          function () {}
        ),
      ]);
    })
    .then(function () {
      app.setAttribute("data-ready", "true");
      connect();
    })
    .catch(failed);
})();
