/*
 * kefu agent console, part 1: small tools shared by the console's scripts.
 *
 * DOM building (text only: textContent, never innerHTML), wording in two languages,
 * the JSON API client, a generated notification beep and an inline SVG line chart.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var strings = JSON.parse(document.getElementById("agent-i18n").textContent);
  var app = document.getElementById("agent-app");
  var kit = { lang: app.getAttribute("data-lang") === "en" ? "en" : "zh" };

  try {
    var saved = window.localStorage.getItem("kefu-agent-lang");
    if (saved === "zh" || saved === "en") {
      kit.lang = saved;
    }
  } catch (e) {
    /* storage disabled: the session's language */
  }

  /* The wording of `key` in the console's language, with {placeholders} filled in. */
  kit.t = function (key, values) {
    var table = strings[kit.lang] || {};
    var text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key;
    return String(text).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  };

  kit.setLang = function (lang) {
    kit.lang = lang;
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    try {
      window.localStorage.setItem("kefu-agent-lang", lang);
    } catch (e) {
      /* not kept across reloads */
    }
  };

  /* An element with a class and text; `attrs` are set as attributes. */
  kit.el = function (tag, className, text, attrs) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    return node;
  };

  kit.button = function (label, className, onClick) {
    var b = kit.el("button", className, label);
    b.type = "button";
    if (onClick) {
      b.addEventListener("click", onClick);
    }
    return b;
  };

  kit.clear = function (node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
    return node;
  };

  kit.svg = function (tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, String(attrs[name]));
    });
    return node;
  };

  kit.time = function (value) {
    if (!value) {
      return "";
    }
    var date = new Date(value);
    if (isNaN(date.getTime())) {
      return String(value);
    }
    return date.toLocaleString(kit.lang === "zh" ? "zh-CN" : "en-GB", {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
  };

  kit.duration = function (seconds) {
    var s = Number(seconds);
    if (!isFinite(s)) {
      return "";
    }
    return s < 90 ? kit.t("seconds", { value: Math.round(s) }) : kit.t("minutes", { value: Math.round(s / 60) });
  };

  kit.number = function (value, digits) {
    var n = Number(value);
    return isFinite(n) ? n.toFixed(digits === undefined ? 2 : digits) : "";
  };

  /* ---- the JSON API ---- */
  kit.api = function (method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(
      function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            if (response.status === 401) {
              window.location.assign("/staff/login?next=/agent");
            }
            if (!response.ok) {
              var error = new Error((data && data.error) || "HTTP " + response.status);
              error.status = response.status;
              throw error;
            }
            return data;
          });
      },
      function (err) {
        throw new Error(String(err && err.message ? err.message : err));
      }
    );
  };

  kit.list = function (data, key) {
    if (Array.isArray(data)) {
      return data;
    }
    return data && Array.isArray(data[key]) ? data[key] : [];
  };

  /* ---- a short beep made with WebAudio (no sound file) ---- */
  var audio = null;
  kit.beep = function () {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) {
        return;
      }
      audio = audio || new Context();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.25);
    } catch (e) {
      /* no sound before the first user gesture in some browsers: the title still flashes */
    }
  };

  /*
   * A line chart of `values` (numbers from -1 to 1) as an inline SVG element, built with
   * DOM calls. `label` is its accessible name.
   */
  kit.lineChart = function (values, label) {
    var width = 320;
    var height = 80;
    var pad = 8;
    var chart = kit.svg("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: "100%",
      height: height,
      role: "img",
      "aria-label": label,
      class: "ag-trail-chart",
      focusable: "false",
    });
    var title = kit.svg("title");
    title.textContent = label;
    chart.append(title);
    var y = function (v) {
      var clamped = Math.max(-1, Math.min(1, v));
      return pad + ((1 - clamped) / 2) * (height - 2 * pad);
    };
    chart.append(kit.svg("line", { x1: 0, x2: width, y1: y(0), y2: y(0), class: "ag-trail-zero" }));
    if (!values.length) {
      return chart;
    }
    var step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
    var points = values.map(function (v, i) {
      return [pad + i * step, y(v)];
    });
    chart.append(
      kit.svg("polyline", {
        points: points
          .map(function (p) {
            return p[0].toFixed(1) + "," + p[1].toFixed(1);
          })
          .join(" "),
        class: "ag-trail-line",
      })
    );
    points.forEach(function (p, i) {
      chart.append(
        kit.svg("circle", {
          cx: p[0].toFixed(1),
          cy: p[1].toFixed(1),
          r: 3.5,
          class: values[i] < -0.2 ? "ag-trail-neg" : values[i] > 0.2 ? "ag-trail-pos" : "ag-trail-neu",
        })
      );
    });
    return chart;
  };

  window.KefuAgentKit = kit;
})();
