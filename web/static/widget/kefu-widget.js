/*
 * kefu chat widget: plain JavaScript, served by the site (socket.io client vendored).
 *
 * It talks only to the site: /chat/message, /chat/history, /chat/restart over HTTP, and
 * the socket.io namespace /widget for what the site pushes (agent replies, typing, the
 * hand-off status). The site binds the conversation to the session cookie; the browser
 * never chooses it. Every message has an id ("<conversation>:<n>"); the widget keeps the
 * last one and, after a reconnect, asks for the messages after it (no gaps, no doubles).
 * Everything is rendered with textContent: nothing the bot, an agent or the user says is
 * HTML.
 */
(function () {
  "use strict";

  var root = document.getElementById("kefu-chat");
  var i18nNode = document.getElementById("kefu-chat-i18n");
  if (!root || !i18nNode) {
    return;
  }
  var T = JSON.parse(i18nNode.textContent);
  var CONVERSATION = root.getAttribute("data-conversation") || "default";
  var DRAFT_KEY = "kefu-chat-draft:" + CONVERSATION;
  var OPEN_KEY = "kefu-chat-open";
  var CHATTED_KEY = "kefu-chat-active";
  var REQUEST_TIMEOUT_MS = 45000;
  var MAX_CHARS = 2000;
  var TYPING_EVERY_MS = 2000;
  var TYPING_IDLE_MS = 3000;
  var AGENT_TYPING_MAX_MS = 10000;

  var busy = false;
  var composing = false;
  var activated = null;
  var historyLoaded = false;
  var lastId = null;
  var seen = {};
  var provisional = [];
  var deferred = [];
  var socket = null;
  var lastTypingSent = 0;
  var typingStopTimer = null;
  var agentTypingTimer = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  /* An http(s) URL (absolute, or a path on this site), or null for anything else. */
  function safeUrl(value) {
    if (typeof value !== "string" || !value) {
      return null;
    }
    try {
      var url = new URL(value, window.location.origin);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function storageGet(store, key) {
    try {
      return window[store].getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(store, key, value) {
    try {
      if (value === null || value === "") {
        window[store].removeItem(key);
      } else {
        window[store].setItem(key, value);
      }
    } catch (e) {
      /* storage disabled: the draft is only kept in the text box */
    }
  }

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
          send(b.payload, b.title, false);
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
      text = name ? format(T.handoff_open, { name: name }) : T.handoff_open_no_name;
    } else if (state.status === "snoozed") {
      text = T.handoff_snoozed;
    } else if (state.status === "resolved") {
      text = T.handoff_resolved;
    }
    status.textContent = text;
    status.hidden = !text;
    root.setAttribute("data-handoff", state.status);
  }

  /* ---- incoming messages: one path for history, replies, pushes and catch-up ---- */
  function keyOf(message) {
    var names = (Array.isArray(message.products) ? message.products : [])
      .map(function (p) {
        return p && p.name;
      })
      .join("|");
    var side = message.sender === "user" ? "user" : "bot";
    return side + "\u0000" + (message.text || "") + "\u0000" + names;
  }

  function remember(id) {
    seen[id] = true;
    lastId = id;
  }

  /*
   * Show `message` unless it was shown already. A message with an id that matches a
   * message this tab showed before it knew the id (its own text, or the reply to its
   * POST) adopts that row instead of being shown twice.
   */
  function receive(message, live) {
    if (!message || typeof message !== "object") {
      return;
    }
    var id = typeof message.id === "string" ? message.id : null;
    if (id && seen[id]) {
      return;
    }
    if (id) {
      var key = keyOf(message);
      for (var i = 0; i < provisional.length; i++) {
        if (provisional[i].key === key) {
          provisional[i].row.setAttribute("data-id", id);
          provisional.splice(0, i + 1);
          remember(id);
          return;
        }
      }
      remember(id);
    }
    if (message.sender !== "user") {
      disableOldButtons();
      if (message.sender === "agent") {
        setAgentTyping(null);
      }
    }
    var row = render(message, live);
    if (!id && live) {
      provisional.push({ key: keyOf(message), row: row });
    }
    if (live) {
      announceMessage(message);
    }
  }

  function incoming(message) {
    if (busy || !historyLoaded) {
      deferred.push(message);
    } else {
      receive(message, true);
    }
  }

  function flushDeferred() {
    var pending = deferred;
    deferred = [];
    pending.forEach(function (m) {
      receive(m, true);
    });
  }

  /* ---- talking to the site ---- */
  function request(method, path, body) {
    var controller = typeof AbortController !== "undefined" ? new AbortController() : null;
    var timer = controller
      ? setTimeout(function () {
          controller.abort();
        }, REQUEST_TIMEOUT_MS)
      : null;
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options)
      .then(
        function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (data) {
              if (!response.ok) {
                var error = new Error((data && data.error) || "HTTP " + response.status);
                error.code = (data && data.code) || (response.status >= 500 ? "unreachable" : "failed");
                throw error;
              }
              return data;
            });
        },
        function (err) {
          var error = new Error(String(err));
          error.code = err && err.name === "AbortError" ? "timeout" : "unreachable";
          throw error;
        }
      )
      .finally(function () {
        if (timer) {
          clearTimeout(timer);
        }
      });
  }

  function messagesOf(data) {
    if (Array.isArray(data)) {
      return data;
    }
    return data && Array.isArray(data.messages) ? data.messages : [];
  }

  function errorText(code) {
    if (code === "timeout") {
      return T.timeout;
    }
    if (code === "too_long") {
      return T.too_long;
    }
    if (code === "unreachable" || code === "bot_error") {
      return T.unreachable;
    }
    return T.failed;
  }

  function setBusy(value) {
    busy = value;
    root.setAttribute("data-busy", value ? "true" : "false");
    if (value) {
      typingText.textContent = T.typing;
    }
    typing.hidden = !value;
    sendButton.disabled = value;
    if (value) {
      scrollToEnd();
    } else {
      flushDeferred();
    }
  }

  /* ---- typing: ours to the agent (throttled), the agent's to us ---- */
  function emitTyping(value) {
    if (socket && socket.connected) {
      socket.emit("typing", { typing: value });
    }
  }

  function customerTyped() {
    var now = Date.now();
    if (now - lastTypingSent >= TYPING_EVERY_MS) {
      lastTypingSent = now;
      emitTyping(true);
    }
    clearTimeout(typingStopTimer);
    typingStopTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingStopTimer);
    typingStopTimer = null;
    if (lastTypingSent) {
      lastTypingSent = 0;
      emitTyping(false);
    }
  }

  function setAgentTyping(name) {
    clearTimeout(agentTypingTimer);
    if (name === null) {
      if (!busy) {
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

  /*
   * Send `payload` (typed text, or a quick reply's payload shown as `shown`).
   * Until the site confirms, a typed message stays in the draft storage; on failure it
   * goes back into the text box and the notice offers to resend it.
   */
  function send(payload, shown, typed) {
    if (busy || !payload) {
      return;
    }
    if (!historyLoaded) {
      /* the history replaces the log when it arrives: send once it is there */
      activate().then(function () {
        send(payload, shown, typed);
      });
      return;
    }
    hideNotice();
    disableOldButtons();
    stopTyping();
    var bubble = addUserMessage(shown);
    provisional.push({ key: keyOf({ sender: "user", text: shown }), row: bubble });
    if (typed) {
      storageSet("sessionStorage", DRAFT_KEY, payload);
      input.value = "";
    }
    setBusy(true);
    request("POST", "/chat/message", { message: payload })
      .then(function (data) {
        storageSet("localStorage", CHATTED_KEY, "1");
        if (typed) {
          storageSet("sessionStorage", DRAFT_KEY, null);
        }
        /* the id of the customer's own message, when the site says it */
        var ownId = data && (typeof data.user_id === "string" ? data.user_id : data.id);
        if (typeof ownId === "string" && !seen[ownId]) {
          bubble.setAttribute("data-id", ownId);
          remember(ownId);
          provisional = provisional.filter(function (p) {
            return p.row !== bubble;
          });
        }
        messagesOf(data).forEach(function (m) {
          receive(Object.assign({ sender: "bot" }, m), true);
        });
        if (data && data.handoff) {
          showHandoff(data.handoff);
        }
        connect();
      })
      .catch(function (error) {
        if (error.code === "timeout") {
          /*
           * The site received the message: the bot finishes its turn even though nobody
           * waits (kefu/rasa_faults.py), so sending it again would answer it twice. Its
           * answer comes with the history.
           */
          storageSet("localStorage", CHATTED_KEY, "1");
          if (typed) {
            storageSet("sessionStorage", DRAFT_KEY, null);
          }
          showNotice(T.timeout, loadHistory, T.show_answer);
          return;
        }
        bubble.classList.add("kefu-failed");
        bubble.title = T.failed;
        var label = bubble.querySelector(".kefu-from");
        if (label) {
          label.textContent = format(T.sr_not_sent, { who: T.you });
        }
        provisional = provisional.filter(function (p) {
          return p.row !== bubble;
        });
        if (typed && !input.value) {
          input.value = payload;
          storageSet("sessionStorage", DRAFT_KEY, payload);
        }
        showNotice(errorText(error.code), function () {
          bubble.remove();
          if (typed) {
            if (input.value === payload) {
              input.value = "";
            }
            send(payload, shown, true);
          } else {
            send(payload, shown, false);
          }
        });
      })
      .finally(function () {
        setBusy(false);
        input.focus();
      });
  }

  function submitTyped() {
    var text = input.value.trim();
    if (!text) {
      return;
    }
    if (text.length > MAX_CHARS) {
      showNotice(T.too_long, null);
      return;
    }
    send(text, text, true);
  }

  function loadHistory() {
    historyLoaded = false;
    root.setAttribute("data-history", "loading");
    return request("GET", "/chat/history")
      .then(function (data) {
        log.textContent = "";
        seen = {};
        lastId = null;
        provisional = [];
        var messages = messagesOf(data);
        if (!messages.length) {
          showWelcome();
        }
        messages.forEach(function (m, index) {
          receive(m, false);
          if (index === messages.length - 1 && m.sender !== "user") {
            var live = log.querySelectorAll(".kefu-msg:last-child .kefu-quick-reply");
            for (var i = 0; i < live.length; i++) {
              live[i].disabled = false;
            }
          }
        });
        if (messages.length) {
          storageSet("localStorage", CHATTED_KEY, "1");
        }
        if (data && data.handoff) {
          showHandoff(data.handoff);
        }
        historyLoaded = true;
        root.setAttribute("data-history", "loaded");
        flushDeferred();
        connect();
      })
      .catch(function () {
        log.textContent = "";
        showWelcome();
        showNotice(T.history_failed, loadHistory);
        historyLoaded = true;
        root.setAttribute("data-history", "failed");
      });
  }

  /* ---- the live channel ---- */
  function catchUp() {
    if (socket && socket.connected) {
      socket.emit("catch_up", { after: lastId });
    }
  }

  /* The socket.io client is loaded only when the widget goes live. */
  var clientLoading = false;
  function connect() {
    if (socket) {
      return;
    }
    if (typeof window.io !== "function") {
      if (!clientLoading) {
        clientLoading = true;
        var script = document.createElement("script");
        script.src = root.getAttribute("data-socket-client") || "/static/vendor/socket.io.min.js";
        script.async = true;
        script.onload = connect;
        document.head.append(script);
      }
      return;
    }
    socket = window.io("/widget", { path: "/socket.io", withCredentials: true });
    socket.on("connect", function () {
      root.setAttribute("data-live", "true");
      catchUp();
    });
    socket.on("disconnect", function () {
      root.setAttribute("data-live", "false");
    });
    socket.on("message", incoming);
    socket.on("typing", function (data) {
      if (data && data.who === "agent") {
        setAgentTyping(data.typing ? (typeof data.name === "string" ? data.name : "") : null);
      }
    });
    socket.on("handoff", showHandoff);
  }

  /* The widget talks to the site only when it is used, or the browser chatted before. */
  function activate() {
    if (!activated) {
      root.setAttribute("data-ready", "false");
      activated = loadHistory().then(function () {
        root.setAttribute("data-ready", "true");
      });
    }
    return activated;
  }

  function restart() {
    if (busy) {
      return;
    }
    hideNotice();
    request("POST", "/chat/restart", {})
      .then(function () {
        log.textContent = "";
        seen = {};
        lastId = null;
        provisional = [];
        status.hidden = true;
        storageSet("sessionStorage", DRAFT_KEY, null);
        if (socket) {
          /* the new conversation has another room: join it with the new cookie */
          socket.disconnect();
          socket = null;
          connect();
        }
        showWelcome();
      })
      .catch(function (error) {
        showNotice(errorText(error.code), restart);
      });
  }

  function setOpen(open, focusLauncher) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("kefu-open", open);
    storageSet("sessionStorage", OPEN_KEY, open ? "1" : null);
    if (open) {
      activate();
      scrollToEnd();
      input.focus();
    } else if (focusLauncher) {
      launcher.focus();
    }
  }

  /* ---- events ---- */
  launcher.addEventListener("click", function () {
    setOpen(true);
  });
  closeButton.addEventListener("click", function () {
    setOpen(false, true);
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !event.isComposing && !composing) {
      event.preventDefault();
      setOpen(false, true);
    }
  });
  restartButton.addEventListener("click", restart);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitTyped();
  });
  input.addEventListener("compositionstart", function () {
    composing = true;
  });
  input.addEventListener("compositionend", function () {
    /* Safari fires compositionend before the keydown of the Enter that ends it */
    setTimeout(function () {
      composing = false;
    }, 0);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey) {
      return;
    }
    if (event.isComposing || composing || event.keyCode === 229) {
      return; /* Enter confirms the IME candidate; it does not send */
    }
    event.preventDefault();
    submitTyped();
  });
  input.addEventListener("input", function () {
    storageSet("sessionStorage", DRAFT_KEY, input.value);
    if (input.value) {
      customerTyped();
    } else {
      stopTyping();
    }
  });
  input.addEventListener("blur", stopTyping);

  /* ---- start ---- */
  var draft = storageGet("sessionStorage", DRAFT_KEY);
  if (draft) {
    input.value = draft;
  }
  if (storageGet("sessionStorage", OPEN_KEY) === "1") {
    setOpen(true);
  } else if (storageGet("localStorage", CHATTED_KEY) === "1") {
    activate();
  } else {
    root.setAttribute("data-ready", "true");
  }
})();
