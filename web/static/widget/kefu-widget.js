/*
 * kefu chat widget, part 4 (loaded after kefu-widget-kit.js, kefu-widget-view.js and
 * kefu-widget-live.js): the conversation's state, sending and history. Plain JavaScript, served
 * by the site (socket.io client vendored).
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

  var kit = window.KefuWidgetKit;
  var view = window.KefuWidgetView;
  var live = window.KefuWidgetLive;
  if (!kit || !view || !live) {
    return;
  }
  var T = kit.T;
  var root = kit.root;
  var format = kit.format;
  var storageGet = kit.storageGet;
  var storageSet = kit.storageSet;
  var request = kit.request;
  var messagesOf = kit.messagesOf;
  var errorText = kit.errorText;
  var log = view.log;
  var input = view.input;
  var typing = view.typing;
  var typingText = view.typingText;
  var sendButton = view.sendButton;
  var status = view.status;
  var panel = view.panel;
  var launcher = view.launcher;
  var closeButton = view.closeButton;
  var restartButton = view.restartButton;
  var form = view.form;
  var scrollToEnd = view.scrollToEnd;
  var announceMessage = view.announceMessage;
  var addUserMessage = view.addUserMessage;
  var disableOldButtons = view.disableOldButtons;
  var render = view.render;
  var showWelcome = view.showWelcome;
  var showNotice = view.showNotice;
  var hideNotice = view.hideNotice;
  var showHandoff = view.showHandoff;
  var setAgentTyping = view.setAgentTyping;
  var connect = live.connect;
  var customerTyped = live.customerTyped;
  var stopTyping = live.stopTyping;
  var MAX_CHARS = view.MAX_CHARS;
  var CONVERSATION = root.getAttribute("data-conversation") || "default";
  var DRAFT_KEY = "kefu-chat-draft:" + CONVERSATION;
  var OPEN_KEY = "kefu-chat-open";
  var CHATTED_KEY = "kefu-chat-active";

  var busy = false;
  var composing = false;
  var activated = null;
  var historyLoaded = false;
  var lastId = null;
  var seen = {};
  var provisional = [];
  var deferred = [];
  view.isBusy = function () {
    return busy;
  };
  view.onQuickReply = function (payload, title) {
    send(payload, title, false);
  };

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

  live.onMessage = incoming;
  live.lastId = function () {
    return lastId;
  };

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
        /* the new conversation has another room: join it with the new cookie */
        live.rejoin();
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
