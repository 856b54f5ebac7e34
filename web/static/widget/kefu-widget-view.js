/*
 * kefu chat widget, part 2: the panel's elements and how messages, cards, notices, the
 * hand-off status and the agent's typing are shown (text only). kefu-widget.js drives it.
 */
(function () {
  "use strict";

  var kit = window.KefuWidgetKit;
  if (!kit) {
    return;
  }
  var T = kit.T;
  var root = kit.root;
  var el = kit.el;
  var format = kit.format;
  var safeUrl = kit.safeUrl;
  var MAX_CHARS = 2000;
  var AGENT_TYPING_MAX_MS = 10000;
  var agentTypingTimer = null;
  var view = {
    /* set by kefu-widget.js: a quick reply was clicked; whether a send is under way */
    onQuickReply: function () {},
    isBusy: function () {
      return false;
    },
  };

  /* ---- the widget's elements ---- */
  var launcher = el("button", "kefu-launcher", T.open);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "kefu-panel");
  launcher.setAttribute("aria-haspopup", "dialog");

  var panel = el("section", "kefu-panel");
  panel.id = "kefu-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "false");
  panel.setAttribute("aria-labelledby", "kefu-title");

  var header = el("header", "kefu-header");
  var title = el("h2", "kefu-title", T.title);
  title.id = "kefu-title";
  var tools = el("div", "kefu-tools");
  var langLink = el("a", "kefu-lang", T.lang_switch);
  langLink.href = root.getAttribute("data-lang-url") || "#";
  langLink.title = T.lang_switch_title;
  var restartButton = el("button", "kefu-restart", T.restart);
  restartButton.type = "button";
  var closeButton = el("button", "kefu-close", "\u00d7");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", T.close);
  tools.append(langLink, restartButton, closeButton);
  header.append(title, tools);

  var status = el("div", "kefu-handoff");
  status.hidden = true;
  status.setAttribute("role", "status");

  /* The log is not a live region: history would be read out again on every load. New
     messages are announced once, through the announcer below. */
  var log = el("div", "kefu-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "off");
  log.setAttribute("aria-label", T.title);
  log.tabIndex = 0;

  var announcer = el("div", "kefu-sr");
  announcer.setAttribute("aria-live", "polite");
  announcer.setAttribute("aria-atomic", "false");

  var typing = el("div", "kefu-typing");
  typing.hidden = true;
  typing.append(el("span", "kefu-dot"), el("span", "kefu-dot"), el("span", "kefu-dot"));
  var typingText = el("span", "kefu-typing-text", T.typing);
  typing.append(typingText);

  var notice = el("div", "kefu-notice");
  notice.hidden = true;
  notice.setAttribute("role", "alert");
  var noticeText = el("span", "kefu-notice-text");
  var retryButton = el("button", "kefu-retry", T.retry);
  retryButton.type = "button";
  notice.append(noticeText, retryButton);

  var form = el("form", "kefu-form");
  var input = el("textarea", "kefu-input");
  input.rows = 1;
  input.maxLength = MAX_CHARS;
  input.placeholder = T.placeholder;
  input.setAttribute("aria-label", T.placeholder);
  var sendButton = el("button", "kefu-send", T.send);
  sendButton.type = "submit";
  form.append(input, sendButton);

  panel.append(header, status, log, typing, notice, form, announcer);
  root.append(launcher, panel);

  /* ---- rendering ---- */
  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function senderName(message) {
    if (message.sender === "user") {
      return T.you;
    }
    if (message.sender === "agent") {
      var agent = message.agent && typeof message.agent.name === "string" ? message.agent.name : "";
      return agent || T.agent;
    }
    return T.bot;
  }

  function announce(text) {
    var line = el("p", null, text);
    announcer.append(line);
    while (announcer.childNodes.length > 3) {
      announcer.removeChild(announcer.firstChild);
    }
  }

  function announceMessage(message) {
    var who = senderName(message);
    if (message.text) {
      announce(who + ": " + message.text);
    }
    if (Array.isArray(message.products) && message.products.length) {
      var names = message.products
        .map(function (p) {
          return p && typeof p.name === "string" ? p.name : "";
        })
        .filter(Boolean);
      announce(format(T.announce_products, { who: who, count: names.length, names: names.join(", ") }));
    }
  }

  function addUserMessage(text) {
    var row = el("div", "kefu-msg kefu-user");
    row.append(el("span", "kefu-sr kefu-from", format(T.sr_from, { who: T.you })));
    row.append(el("div", "kefu-bubble", text));
    log.append(row);
    scrollToEnd();
    return row;
  }

  function renderCards(products) {
    var row = el("div", "kefu-cards");
    products.forEach(function (p) {
      if (!p || typeof p.name !== "string") {
        return;
      }
      var card = el("article", "kefu-card");
      var href = safeUrl(p.url);
      var image = safeUrl(p.image);
      if (image) {
        var img = el("img", "kefu-card-img");
        img.src = image;
        img.alt = "";
        img.loading = "lazy";
        card.append(img);
      }
      card.append(el("h3", "kefu-card-name", p.name));
      if (p.price !== undefined && p.price !== null && p.price !== "") {
        var amount = Number(p.price);
        var price = isFinite(amount) ? T.currency + amount.toFixed(2) : String(p.price);
        card.append(el("p", "kefu-card-price", price));
      }
      if (p.reason) {
        card.append(el("p", "kefu-card-reason", p.reason));
      }
      if (href) {
        var link = el("a", "kefu-card-link", T.view);
        link.href = href;
        link.rel = "noopener noreferrer";
        /* the visible word is short; the accessible name says which product */
        link.setAttribute("aria-label", format(T.view_product, { name: p.name }));
        card.append(link);
      }
      row.append(card);
    });
    return row;
  }

  function disableOldButtons() {
    var buttons = log.querySelectorAll(".kefu-quick-replies button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
  }

  function addBotMessage(message, live) {
    var agent = message.sender === "agent";
    var row = el("div", "kefu-msg kefu-bot" + (agent ? " kefu-agent" : ""));
    if (agent) {
      /* the agent's name is visible, and is what a screen reader hears first */
      row.append(el("span", "kefu-from kefu-agent-name", senderName(message)));
    } else {
      row.append(el("span", "kefu-sr kefu-from", format(T.sr_from, { who: T.bot })));
    }
    if (message.text) {
      row.append(el("div", "kefu-bubble", message.text));
    }
    var image = safeUrl(message.image);
    if (image) {
      var img = el("img", "kefu-image");
      img.src = image;
      img.alt = "";
      row.append(img);
    }
    if (Array.isArray(message.products) && message.products.length) {
      row.append(renderCards(message.products));
    }
    if (Array.isArray(message.buttons) && message.buttons.length) {
      var replies = el("div", "kefu-quick-replies");
      message.buttons.forEach(function (b) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") {
          return;
        }
        var button = el("button", "kefu-quick-reply", b.title);
        button.type = "button";
        button.setAttribute("data-payload", b.payload);
        button.disabled = !live;
        button.addEventListener("click", function () {
          view.onQuickReply(b.payload, b.title);
        });
        replies.append(button);
      });
      row.append(replies);
    }
    log.append(row);
    scrollToEnd();
    return row;
  }

  function render(message, live) {
    var row = message.sender === "user" ? addUserMessage(message.text) : addBotMessage(message, live);
    if (message.id) {
      row.setAttribute("data-id", message.id);
    }
    return row;
  }

  function showWelcome() {
    var row = el("div", "kefu-msg kefu-bot kefu-welcome");
    row.append(el("span", "kefu-sr kefu-from", format(T.sr_from, { who: T.bot })));
    row.append(el("div", "kefu-bubble", T.welcome));
    log.append(row);
  }

  function showNotice(text, retry, label) {
    noticeText.textContent = text;
    retryButton.textContent = label || T.retry;
    retryButton.hidden = !retry;
    retryButton.onclick = retry || null;
    notice.hidden = false;
  }

  function hideNotice() {
    notice.hidden = true;
    retryButton.onclick = null;
  }

  /* ---- the hand-off status (queue place, expected wait, opening hours) ---- */
  function hoursText(hours) {
    if (Array.isArray(hours)) {
      return hours
        .filter(function (h) {
          return typeof h === "string";
        })
        .join("; ");
    }
    return typeof hours === "string" ? hours : "";
  }

  function showHandoff(state) {
    if (!state || typeof state.status !== "string") {
      return;
    }
    var text = "";
    var hours = hoursText(state.hours);
    if (state.status === "pending") {
      if (hours) {
        text = format(T.handoff_hours, { hours: hours });
      } else if (typeof state.position === "number") {
        var wait = Number(state.expected_wait_s);
        var minutes = isFinite(wait) ? Math.max(1, Math.round(wait / 60)) : 1;
        text = format(T.handoff_pending, { position: state.position, minutes: minutes });
      } else {
        text = T.handoff_pending_no_position;
      }
    } else if (state.status === "open") {
      var name = state.agent && typeof state.agent.name === "string" ? state.agent.name : "";
      var joined = state.joined && typeof state.joined.name === "string" ? state.joined.name : "";
      if (joined) {
        /* pushed when an agent claims the conversation (or it is assigned or transferred) */
        text = format(T.handoff_joined, { name: joined });
        root.setAttribute("data-agent", joined);
      } else {
        text = name ? format(T.handoff_open, { name: name }) : T.handoff_open_no_name;
      }
    } else if (state.status === "snoozed") {
      text = T.handoff_snoozed;
    } else if (state.status === "resolved") {
      text = T.handoff_resolved;
    }
    status.textContent = text;
    status.hidden = !text;
    root.setAttribute("data-handoff", state.status);
  }

  function setAgentTyping(name) {
    clearTimeout(agentTypingTimer);
    if (name === null) {
      if (!view.isBusy()) {
        typing.hidden = true;
      }
      root.removeAttribute("data-agent-typing");
      return;
    }
    typingText.textContent = format(T.agent_typing, { name: name || T.agent });
    typing.hidden = false;
    root.setAttribute("data-agent-typing", "true");
    agentTypingTimer = setTimeout(function () {
      setAgentTyping(null);
    }, AGENT_TYPING_MAX_MS);
  }

  view.root = root;
  view.launcher = launcher;
  view.panel = panel;
  view.closeButton = closeButton;
  view.restartButton = restartButton;
  view.status = status;
  view.log = log;
  view.typing = typing;
  view.typingText = typingText;
  view.form = form;
  view.input = input;
  view.sendButton = sendButton;
  view.MAX_CHARS = MAX_CHARS;
  view.scrollToEnd = scrollToEnd;
  view.announce = announce;
  view.announceMessage = announceMessage;
  view.addUserMessage = addUserMessage;
  view.disableOldButtons = disableOldButtons;
  view.render = render;
  view.showWelcome = showWelcome;
  view.showNotice = showNotice;
  view.hideNotice = hideNotice;
  view.showHandoff = showHandoff;
  view.setAgentTyping = setAgentTyping;
  window.KefuWidgetView = view;
})();
