/*
 * kefu agent console, part 7: the reply box (suggested reply, canned replies, product cards, typing).
 * Text only (textContent, through KefuAgentKit); shared state and names from agent-core.js (C.part).
 */
window.KefuAgentConsole.part(function (C, kit, state, ui, el, t, API, panels, app) {
  "use strict";

  var TYPING_EVERY_MS = 2000;
  var TYPING_IDLE_MS = 3000;
  var typingSent = 0;
  var typingTimer = null;

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
    if (state.draft) {
      box.value = state.draft;
    }
    form.append(suggestion(d.suggested_reply, box), box, help);
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
        C.post("notes", { text: text }, t("note_added")).then(function (ok) {
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
        C.sendProducts([id]).then(function (ok) {
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
      C.post("messages", { text: text }, t("sent")).then(function (ok) {
        if (ok) {
          box.value = "";
          state.draft = "";
        }
      });
    });
    ui.reply = box;
    return form;
  }

  /* The bot's draft for the last customer message: shown, inserted only on request. */
  function suggestion(s, box) {
    var node = el("section", "ag-suggestion", null, { "aria-labelledby": "ag-suggestion-h" });
    node.append(el("h4", "ag-h4", t("suggested"), { id: "ag-suggestion-h" }));
    if (!s || !s.text) {
      node.append(el("p", "ag-muted", t("no_suggestion")));
      return node;
    }
    node.setAttribute("data-source", s.source || "");
    node.setAttribute("lang", s.lang === "en" ? "en" : "zh-CN");
    node.append(el("p", "ag-suggestion-text", s.text));
    var intent = (s.intent || "?") + (typeof s.confidence === "number" ? " " + kit.number(s.confidence) : "");
    var source = t("suggestion_source_" + (s.source === "faq" ? "faq" : "intent"));
    var help = el("p", "ag-muted", source + " · " + t("suggestion_help", { intent: intent }));
    help.setAttribute("lang", kit.lang === "en" ? "en" : "zh-CN");
    node.append(help);
    node.append(kit.button(t("insert_suggestion"), "ag-btn ag-insert-suggestion", function () {
      box.value = box.value.trim() ? box.value.replace(/\s*$/, "\n") + s.text : s.text;
      state.draft = box.value;
      box.focus();
    }));
    return node;
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


  C.composer = composer;
  C.cannedText = cannedText;
  C.insertCanned = insertCanned;
  C.expandCanned = expandCanned;
  C.agentTyped = agentTyped;
  C.stopTyping = stopTyping;
});
