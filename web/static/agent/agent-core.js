/*
 * kefu agent console, part 4: the console's shared state, its frame (header, inbox, conversation, side panels), notices.
 * Text only (textContent, through KefuAgentKit); shared state on window.KefuAgentConsole.
 */
(function () {
  "use strict";

  var kit = window.KefuAgentKit;
  var app = document.getElementById("agent-app");
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
    hours: null,
  };
  var ui = {};
  var C = {
    kit: kit,
    panels: window.KefuAgentPanels,
    admin: window.KefuAgentAdmin,
    app: app,
    API: "/agent/api",
    VIEWS: ["pending", "mine", "unassigned", "open", "snoozed", "resolved"],
    state: state,
    ui: ui,
    socket: null,
    baseTitle: document.title,
  };
  window.KefuAgentConsole = C;

  /* Runs one later part of the console (inbox, conversation, composer, live channel) with
     the names every part uses, so that no part repeats this preamble. */
  C.part = function (body) {
    body(C, kit, state, ui, kit.el, kit.t, C.API, C.panels, app);
  };
  var panels = C.panels;
  var el = kit.el;
  var t = kit.t;
  var API = C.API;

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
    C.baseTitle = document.title;
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
      C.refreshInbox();
    });
    ui.views = el("div", "ag-views", null, { role: "group", "aria-label": t("views") });
    ui.viewButtons = {};
    C.VIEWS.forEach(function (view) {
      var b = kit.button("", "ag-view", function () {
        state.view = view;
        C.renderInbox();
        C.refreshInbox();
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
    ui.admin = el("div", "ag-admin");
    side.append(ui.overview, ui.customer, ui.admin);
    grid.append(inbox, ui.conv, side);
    app.append(top, ui.toast, grid, ui.live);
  }

  function rebuild() {
    buildShell();
    renderMe();
    C.renderInbox();
    C.renderConversation();
    panels.renderOverview(ui.overview, state.overview);
    C.renderAdmin();
  }

  function renderMe() {
    if (!state.me) {
      return;
    }
    var role = t(state.me.role === "admin" ? "role_admin" : "role_agent");
    ui.me.textContent = t("signed_in_as", { name: state.me.name || state.me.email || "", role: role });
    ui.duty.checked = !!state.me.on_duty;
  }


  C.announce = announce;
  C.toast = toast;
  C.failed = failed;
  C.buildShell = buildShell;
  C.rebuild = rebuild;
  C.renderMe = renderMe;
})();
