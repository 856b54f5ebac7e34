/*
 * kefu chat widget, part 3: the live channel (socket.io namespace /widget). It pushes
 * agent replies, the agent's typing and the hand-off status to the widget, sends the
 * customer's typing (throttled), and after a reconnect asks for the messages after the
 * last one shown. The socket.io client is loaded only when the widget goes live.
 * kefu-widget.js sets onMessage (where pushed messages go) and lastId (the last message
 * shown).
 */
(function () {
  "use strict";

  var kit = window.KefuWidgetKit;
  var view = window.KefuWidgetView;
  if (!kit || !view) {
    return;
  }
  var root = kit.root;
  var TYPING_EVERY_MS = 2000;
  var TYPING_IDLE_MS = 3000;

  var live = {
    onMessage: function () {},
    lastId: function () {
      return null;
    },
  };
  var socket = null;
  var clientLoading = false;
  var lastTypingSent = 0;
  var typingStopTimer = null;

  /* ---- typing: ours to the agent (throttled); the agent's is shown by the view ---- */
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

  /* ---- the socket ---- */
  function catchUp() {
    if (socket && socket.connected) {
      socket.emit("catch_up", { after: live.lastId() });
    }
  }

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
    socket.on("message", function (message) {
      live.onMessage(message);
    });
    socket.on("typing", function (data) {
      if (data && data.who === "agent") {
        view.setAgentTyping(data.typing ? (typeof data.name === "string" ? data.name : "") : null);
      }
    });
    socket.on("handoff", view.showHandoff);
  }

  /* After a restart the conversation has another room: join it with the new cookie. */
  function rejoin() {
    if (socket) {
      socket.disconnect();
      socket = null;
      connect();
    }
  }

  live.connect = connect;
  live.rejoin = rejoin;
  live.customerTyped = customerTyped;
  live.stopTyping = stopTyping;
  window.KefuWidgetLive = live;
})();
