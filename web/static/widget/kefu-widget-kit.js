/*
 * kefu chat widget, part 1: small tools (loaded first; kefu-widget-view.js,
 * kefu-widget-live.js and kefu-widget.js build on it). Text only, through textContent; the site's JSON over HTTP.
 */
(function () {
  "use strict";

  var root = document.getElementById("kefu-chat");
  var i18nNode = document.getElementById("kefu-chat-i18n");
  if (!root || !i18nNode) {
    return;
  }
  var T = JSON.parse(i18nNode.textContent);
  var REQUEST_TIMEOUT_MS = 45000;

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

  window.KefuWidgetKit = {
    T: T,
    root: root,
    el: el,
    format: format,
    safeUrl: safeUrl,
    storageGet: storageGet,
    storageSet: storageSet,
    request: request,
    messagesOf: messagesOf,
    errorText: errorText,
  };
})();
