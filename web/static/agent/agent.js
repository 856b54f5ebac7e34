/*
 * kefu agent console, part 8: the live channel (socket.io /agent, overview poll) and the start.
 * Text only (textContent, through KefuAgentKit); shared state and names from agent-core.js (C.part).
 */
window.KefuAgentConsole.part(function (C, kit, state, ui, el, t, API, panels, app) {
  "use strict";

  var customerTypingTimer = null;
  var OVERVIEW_POLL_MS = 10000;

  /* ---- what admins manage (agents: the hours, read-only) ---- */
  function loadAdmin() {
    var isAdmin = state.me && state.me.role === "admin";
    return Promise.all([
      kit.api("GET", API + "/canned").then(function (data) {
        state.canned = kit.list(data, "canned");
      }, function () {}),
      kit.api("GET", API + "/hours").then(function (data) {
        state.hours = data;
      }, function () {}),
      isAdmin
        ? kit.api("GET", API + "/staff").then(function (data) {
            state.staff = kit.list(data, "staff");
          }, function () {})
        : null,
    ]).then(renderAdmin);
  }

  function saved() {
    C.toast(t("saved"));
    return loadAdmin();
  }

  function renderAdmin() {
    C.admin.render(ui.admin, { me: state.me, canned: state.canned, hours: state.hours, staff: state.staff }, {
      addCanned: function (body) {
        kit.api("POST", API + "/canned", body).then(saved, C.failed);
      },
      deleteCanned: function (c) {
        kit.api("DELETE", API + "/canned", { shortcut: c.shortcut }).then(saved, C.failed);
      },
      saveHours: function (body) {
        kit.api("POST", API + "/hours", body).then(saved, C.failed);
      },
      addStaff: function (body) {
        kit.api("POST", API + "/staff", body).then(saved, C.failed);
      },
      disableStaff: function (email) {
        kit.api("POST", API + "/staff/disable", { email: email }).then(saved, C.failed);
      },
      confirm: panels.confirmInline,
    });
  }

  /* ---- the live channel ---- */
  function loadOverview() {
    return kit.api("GET", API + "/overview").then(function (data) {
      state.overview = data;
      panels.renderOverview(ui.overview, data);
    }, function () {});
  }

  /* The overview's day figures change without an event (the bot's own conversations):
     a short poll while the page is visible, besides the pushes. */
  function pollOverview() {
    setInterval(function () {
      if (!document.hidden) {
        loadOverview();
      }
    }, OVERVIEW_POLL_MS);
  }

  function connect() {
    if (typeof window.io !== "function") {
      return;
    }
    C.socket = window.io("/agent", { path: "/socket.io", withCredentials: true });
    C.socket.on("connect", function () {
      app.setAttribute("data-live", "true");
      if (state.ticketId !== null) {
        C.socket.emit("watch", { ticket_id: state.ticketId });
        C.loadTicket(); /* catch up on what happened while disconnected */
      }
      C.scheduleRefresh();
    });
    C.socket.on("disconnect", function () {
      app.setAttribute("data-live", "false");
    });
    C.socket.on("ticket", function () {
      C.scheduleRefresh();
      loadOverview();
    });
    var unparsed = {}; /* customer messages pushed before the bot parsed them, by id */
    C.socket.on("message", function (m) {
      if (m && String(m.ticket_id) === String(state.ticketId)) {
        C.appendMessage(m);
        if (m.sender === "user") {
          unparsed[m.id] = m;
          ui.customerTyping.hidden = true;
          C.announce(C.whoOf(m) + ": " + (m.text || ""));
        }
      } else {
        C.scheduleRefresh();
      }
    });
    C.socket.on("understood", function (data) {
      /* what the bot understood of a customer message, once Rasa has stored it */
      var m = data && unparsed[data.id];
      delete unparsed[data && data.id];
      if (!m || !ui.transcript || String(data.ticket_id) !== String(state.ticketId)) {
        return;
      }
      var old = ui.transcript.querySelector('li[data-id="' + CSS.escape(String(data.id)) + '"]');
      if (old) {
        old.replaceWith(
          C.messageItem(
            Object.assign({}, m, {
              intent: data.intent,
              confidence: data.confidence,
              fallback: data.fallback,
              sentiment: data.sentiment,
            })
          )
        );
      }
    });
    C.socket.on("typing", function (data) {
      if (data && String(data.ticket_id) === String(state.ticketId) && ui.customerTyping) {
        ui.customerTyping.hidden = !data.typing;
        clearTimeout(customerTypingTimer);
        customerTypingTimer = setTimeout(function () {
          ui.customerTyping.hidden = true;
        }, 10000);
      }
    });
    C.socket.on("overview", function (data) {
      state.overview = data;
      panels.renderOverview(ui.overview, data);
    });
    C.socket.on("hours", function (data) {
      state.hours = data;
      renderAdmin();
    });
  }

  window.addEventListener("focus", function () {
    if (state.newCount) {
      state.newCount = 0;
      document.title = C.baseTitle;
    }
  });

  /* ---- start ---- */
  kit.setLang(kit.lang);
  C.buildShell();
  C.renderInbox();
  C.renderConversation();
  panels.renderOverview(ui.overview, null);
  kit.api("GET", API + "/me")
    .then(function (me) {
      state.me = me;
      C.renderMe();
      return Promise.all([
        C.refreshInbox(),
        loadOverview(),
        loadAdmin(),
      ]);
    })
    .then(function () {
      app.setAttribute("data-ready", "true");
      connect();
      pollOverview();
    })
    .catch(C.failed);

  C.loadAdmin = loadAdmin;
  C.renderAdmin = renderAdmin;
  C.loadOverview = loadOverview;
  C.connect = connect;
});
