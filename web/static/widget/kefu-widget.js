/*
 * kefu chat widget: plain JavaScript, no dependencies, served by the site.
 *
 * It talks only to the site (/chat/message, /chat/history, /chat/restart); the site
 * forwards to the Rasa server with the conversation bound to the session cookie.
 * Everything is rendered with textContent: nothing the bot or the user says is HTML.
 */
(function () {
  "use strict";

  var root = document.getElementById("kefu-chat");
  var i18nNode = document.getElementById("kefu-chat-i18n");
  if (!root || !i18nNode) {
    return;
  }
  var T = JSON.parse(i18nNode.textContent);
  var DRAFT_KEY = "kefu-chat-draft";
  var OPEN_KEY = "kefu-chat-open";
  var REQUEST_TIMEOUT_MS = 45000;
  var MAX_CHARS = 2000;

  var busy = false;
  var composing = false;

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

  var panel = el("section", "kefu-panel");
  panel.id = "kefu-panel";
  panel.hidden = true;
  panel.setAttribute("aria-label", T.title);

  var header = el("header", "kefu-header");
  var title = el("h2", "kefu-title", T.title);
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

  var log = el("div", "kefu-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");

  var typing = el("div", "kefu-typing");
  typing.hidden = true;
  typing.setAttribute("aria-label", T.typing);
  typing.append(el("span", "kefu-dot"), el("span", "kefu-dot"), el("span", "kefu-dot"));
  typing.append(el("span", "kefu-typing-text", T.typing));

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

  panel.append(header, log, typing, notice, form);
  root.append(launcher, panel);

  /* ---- rendering ---- */
  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function addUserMessage(text) {
    var row = el("div", "kefu-msg kefu-user");
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
    var row = el("div", "kefu-msg kefu-bot");
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
  }

  function showWelcome() {
    var row = el("div", "kefu-msg kefu-bot kefu-welcome");
    row.append(el("div", "kefu-bubble", T.welcome));
    log.append(row);
  }

  function showNotice(text, retry) {
    noticeText.textContent = text;
    retryButton.hidden = !retry;
    retryButton.onclick = retry || null;
    notice.hidden = false;
  }

  function hideNotice() {
    notice.hidden = true;
    retryButton.onclick = null;
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
                var error = new Error(data.error || "HTTP " + response.status);
                error.code = data.code || (response.status >= 500 ? "unreachable" : "failed");
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
    typing.hidden = !value;
    sendButton.disabled = value;
    if (value) {
      scrollToEnd();
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
    hideNotice();
    disableOldButtons();
    var bubble = addUserMessage(shown);
    if (typed) {
      storageSet("localStorage", DRAFT_KEY, payload);
      input.value = "";
    }
    setBusy(true);
    request("POST", "/chat/message", { message: payload })
      .then(function (data) {
        if (typed) {
          storageSet("localStorage", DRAFT_KEY, null);
        }
        (data.messages || []).forEach(function (m) {
          addBotMessage(m, true);
        });
      })
      .catch(function (error) {
        bubble.classList.add("kefu-failed");
        bubble.title = T.failed;
        if (typed && !input.value) {
          input.value = payload;
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
    return request("GET", "/chat/history")
      .then(function (data) {
        log.textContent = "";
        var messages = data.messages || [];
        if (!messages.length) {
          showWelcome();
        }
        messages.forEach(function (m, index) {
          if (m.sender === "user") {
            addUserMessage(m.text);
          } else {
            addBotMessage(m, index === messages.length - 1);
          }
        });
        root.setAttribute("data-history", "loaded");
      })
      .catch(function () {
        log.textContent = "";
        showWelcome();
        showNotice(T.history_failed, loadHistory);
        root.setAttribute("data-history", "failed");
      });
  }

  function restart() {
    if (busy) {
      return;
    }
    hideNotice();
    request("POST", "/chat/restart", {})
      .then(function () {
        log.textContent = "";
        showWelcome();
      })
      .catch(function (error) {
        showNotice(errorText(error.code), restart);
      });
  }

  function setOpen(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    root.classList.toggle("kefu-open", open);
    storageSet("sessionStorage", OPEN_KEY, open ? "1" : null);
    if (open) {
      scrollToEnd();
      input.focus();
    }
  }

  /* ---- events ---- */
  launcher.addEventListener("click", function () {
    setOpen(true);
  });
  closeButton.addEventListener("click", function () {
    setOpen(false);
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
    storageSet("localStorage", DRAFT_KEY, input.value);
  });

  /* ---- start ---- */
  var draft = storageGet("localStorage", DRAFT_KEY);
  if (draft) {
    input.value = draft;
  }
  loadHistory().then(function () {
    root.setAttribute("data-ready", "true");
  });
  if (storageGet("sessionStorage", OPEN_KEY) === "1") {
    setOpen(true);
  }
})();
