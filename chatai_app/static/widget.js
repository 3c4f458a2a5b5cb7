/* ChatAI website widget loader: no framework, talks to /api/widget/v1 (JSON + server-sent events). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__chataiWidget) return;
  window.__chataiWidget = true;
  var ASSISTANT = script.getAttribute("data-assistant");
  var BASE = new URL(script.src, location.href).origin;
  var API = BASE + "/api/widget/v1/" + ASSISTANT + "/";
  var PAGE_MODE = script.getAttribute("data-mode") === "page";
  var KEY = "chatai:" + ASSISTANT;
  var TEXT = {
    en: { placeholder: "Write a message…", send: "Send", human: "Talk to a human", close: "Close",
      typing: "Operator is typing…", queue: "You are number {n} in the queue", operator: "An operator is with you",
      waiting: "Waiting for an operator", formTitle: "No operator is free right now. Leave a contact and we will get back to you.",
      name: "Your name", contact: "E-mail or phone", leave: "Leave contact", sources: "Sources", error: "Could not send: ",
      open: "Open chat", up: "Helpful", down: "Not helpful" },
    ru: { placeholder: "Напишите сообщение…", send: "Отправить", human: "Позвать оператора", close: "Закрыть",
      typing: "Оператор печатает…", queue: "Вы {n}-й в очереди", operator: "С вами оператор",
      waiting: "Ждём оператора", formTitle: "Сейчас нет свободных операторов. Оставьте контакт, и мы свяжемся с вами.",
      name: "Ваше имя", contact: "E-mail или телефон", leave: "Оставить контакт", sources: "Источники",
      error: "Не удалось отправить: ", open: "Открыть чат", up: "Полезно", down: "Не помогло" }
  };
  var THUMB = '<svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
    'stroke-linecap="round" stroke-linejoin="round"><path d="M7 10v12"/><path d="M15 5.88 14 10h5.83a2 2 0 0 1 1.92 ' +
    '2.56l-2.33 8A2 2 0 0 1 17.5 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.76a2 2 0 0 0 1.79-1.11L12 2a3.13 3.13 0 0 1 3 3.88Z"/></svg>';
  var token = null, cfg = null, t = TEXT.en, lastId = 0, shown = {}, busy = false, source = null;
  var status = "new", typingTimer = null, lastTypingSent = 0, ui = {};
  try { token = localStorage.getItem(KEY); } catch (e) { /* storage blocked: a session-only visitor */ }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function call(path, method, body, retried) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers["X-Visitor-Token"] = token;
    return fetch(API + path, { method: method || "GET", headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        if (r.status === 401 && !retried) {
          forgetVisitor();
          return ensureVisitor().then(function () { return call(path, method, body, true); });
        }
        return r;
      });
  }

  function json(path, method, body) {
    return call(path, method, body).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.message || "HTTP " + r.status);
        return data;
      });
    });
  }

  function forgetVisitor() {
    token = null;
    try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
  }

  function ensureVisitor() {
    if (token) return Promise.resolve();
    return fetch(API + "visitor", { method: "POST" }).then(function (r) { return r.json(); }).then(function (d) {
      token = d.token;
      try { localStorage.setItem(KEY, token); } catch (e) { /* ignore */ }
    });
  }

  var CSS =
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif}" +
    ".launcher{position:fixed;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);color:#fff;z-index:2147483000;display:flex;align-items:center;justify-content:center}" +
    ".panel{position:fixed;bottom:88px;width:370px;max-width:calc(100vw - 24px);height:560px;max-height:calc(100vh - 110px);" +
    "background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:none;flex-direction:column;" +
    "overflow:hidden;z-index:2147483000;font-size:14px;color:#111}" +
    ".panel.open{display:flex}.page{position:fixed;inset:0;width:auto;height:auto;max-height:none;max-width:none;" +
    "bottom:0;border-radius:0;display:flex}" +
    ".head{color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}.head b{flex:1;font-size:15px}" +
    ".head button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
    ".status{font-size:12px;padding:6px 14px;background:#f3f4f6;color:#374151;display:none}" +
    ".list{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#fafafa}" +
    ".msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;line-height:1.4}" +
    ".msg[data-role=user]{align-self:flex-end;color:#fff}" +
    ".msg[data-role=assistant],.msg[data-role=operator]{align-self:flex-start;background:#fff;border:1px solid #e5e7eb}" +
    ".msg[data-role=operator]{border-color:#f59e0b}.msg[data-role=system]{align-self:center;background:none;" +
    "color:#6b7280;font-size:12px;text-align:center}.src{font-size:12px;margin-top:6px;color:#6b7280}" +
    ".src a,.src span{color:inherit;margin-right:8px}.quote{margin:4px 0;padding-left:8px;border-left:2px solid #d1d5db;white-space:pre-wrap}.typing{font-size:12px;color:#6b7280;padding:0 14px;min-height:16px}" +
    ".form{display:none;padding:10px 12px;border-top:1px solid #e5e7eb;gap:6px;flex-direction:column;font-size:13px}" +
    ".form.open{display:flex}input,textarea{font:inherit;border:1px solid #d1d5db;border-radius:8px;padding:8px}" +
    ".foot{display:flex;gap:6px;padding:10px;border-top:1px solid #e5e7eb}.foot textarea{flex:1;resize:none;height:40px;font-size:16px}" +
    ".btn{border:0;border-radius:8px;color:#fff;padding:0 14px;cursor:pointer;font:inherit}" +
    ".human{background:none;border:0;color:#2563eb;cursor:pointer;font-size:12px;padding:4px 12px 0;text-align:left}" +
    ".err{color:#b91c1c;font-size:12px;padding:0 12px}.fb{display:flex;gap:4px;margin-top:6px}" +
    ".fb button{background:none;border:1px solid #e5e7eb;border-radius:6px;cursor:pointer;padding:2px 6px;opacity:.55;" +
    "color:#374151;display:flex}.fb .down svg{transform:rotate(180deg)}" +
    ".fb button[aria-pressed=true]{opacity:1;border-color:#2563eb;background:#eff6ff}";

  function build() {
    var host = el("div");
    host.id = "chatai-widget";
    document.body.appendChild(host);
    var root = host.attachShadow({ mode: "open" });
    var style = el("style");
    style.textContent = CSS;
    root.appendChild(style);
    var side = cfg.position === "left" ? "left" : "right";
    ui.panel = el("div", "panel" + (PAGE_MODE ? " page open" : ""));
    ui.panel.style[side] = PAGE_MODE ? "0" : "20px";
    var head = el("div", "head");
    head.style.background = cfg.colour;
    head.appendChild(el("b", "", cfg.title));
    if (!PAGE_MODE) {
      var close = el("button", "", "\u00d7");
      close.setAttribute("aria-label", t.close);
      close.onclick = toggle;
      head.appendChild(close);
    }
    ui.status = el("div", "status");
    ui.list = el("div", "list");
    ui.typing = el("div", "typing");
    ui.form = el("form", "form");
    ui.form.appendChild(el("div", "", t.formTitle));
    ui.name = el("input");
    ui.name.placeholder = t.name;
    ui.contact = el("input");
    ui.contact.placeholder = t.contact;
    var leave = el("button", "btn", t.leave);
    leave.style.background = cfg.colour;
    leave.style.padding = "8px";
    ui.form.append(ui.name, ui.contact, leave);
    ui.form.onsubmit = function (e) { e.preventDefault(); leaveContact(); };
    ui.human = el("button", "human", t.human);
    ui.human.onclick = askHuman;
    ui.human.style.display = cfg.handoff_button ? "" : "none";
    ui.error = el("div", "err");
    var foot = el("form", "foot");
    ui.input = el("textarea");
    ui.input.placeholder = t.placeholder;
    ui.input.maxLength = 4000;
    ui.input.onkeydown = function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
    };
    ui.input.oninput = visitorTyping;
    var sendButton = el("button", "btn", t.send);
    sendButton.style.background = cfg.colour;
    foot.append(ui.input, sendButton);
    foot.onsubmit = function (e) { e.preventDefault(); send(); };
    ui.panel.append(head, ui.status, ui.list, ui.typing, ui.form, ui.human, ui.error, foot);
    root.appendChild(ui.panel);
    if (!PAGE_MODE) {
      ui.launcher = el("button", "launcher");
      ui.launcher.style.background = cfg.colour;
      ui.launcher.style[side] = "20px";
      ui.launcher.setAttribute("aria-label", t.open);
      ui.launcher.innerHTML = '<svg width="26" height="26" viewBox="0 0 24 24" fill="currentColor"><path d="M4 4h16a2 ' +
        '2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
      ui.launcher.onclick = toggle;
      root.appendChild(ui.launcher);
    }
    if (cfg.greeting) ui.list.appendChild(bubble({ role: "assistant", text: cfg.greeting, sources: [] }));
  }

  function toggle() {
    var open = ui.panel.classList.toggle("open");
    try { sessionStorage.setItem(KEY + ":open", open ? "1" : ""); } catch (e) { /* ignore */ }
    if (open) { ui.input.focus(); sync(); }
  }

  function bubble(m) {
    var node = el("div", "msg", m.text);
    node.setAttribute("data-role", m.role);
    if (m.role === "user") node.style.background = cfg.colour;
    if (m.sources && m.sources.length) {
      var src = el("div", "src", t.sources + ": ");
      m.sources.forEach(function (s) {
        var label = "[" + s.n + "] " + s.title + (s.page ? " p." + s.page : "");
        var link = el(s.href || s.url ? "a" : "span", "", label);
        if (s.href) { link.href = s.href; link.target = "_blank"; link.rel = "noopener noreferrer"; }
        else if (s.url) { link.href = BASE + s.url; link.target = "_blank"; link.rel = "noopener"; link.download = ""; }
        else if (s.passage) {
          var quote = el("blockquote", "quote", s.passage);
          quote.hidden = true;
          link.tabIndex = 0; link.style.cursor = "pointer"; link.title = s.passage;
          link.onclick = function () { quote.hidden = !quote.hidden; };
          src.appendChild(link); src.appendChild(quote); return;
        }
        src.appendChild(link);
      });
      node.appendChild(src);
    }
    if (m.role === "assistant" && m.id) node.appendChild(thumbs(m));
    return node;
  }

  function thumbs(m) {  // thumbs up/down under an answer; voting again changes the vote
    var row = el("div", "fb");
    function mark(rating) {
      row.querySelectorAll("button").forEach(function (b) {
        b.setAttribute("aria-pressed", b.getAttribute("data-rating") === rating ? "true" : "false");
      });
    }
    ["up", "down"].forEach(function (rating) {
      var b = el("button", rating);
      b.innerHTML = THUMB;  // an icon, not an emoji: the host may have no emoji font
      b.type = "button";
      b.title = t[rating];
      b.setAttribute("aria-label", t[rating]);
      b.setAttribute("data-rating", rating);
      b.onclick = function () {
        json("feedback", "POST", { message_id: m.id, rating: rating }).then(function (d) { mark(d.rating); })
          .catch(showError);
      };
      row.appendChild(b);
    });
    mark(m.feedback);
    return row;
  }

  function render(m) {
    if (shown[m.id]) return;
    shown[m.id] = true;
    if (m.role === "operator") { clearTimeout(typingTimer); ui.typing.textContent = ""; }  // the message is here
    lastId = Math.max(lastId, m.id);
    ui.list.appendChild(bubble(m));
    ui.list.scrollTop = ui.list.scrollHeight;
  }

  function applyState(s) {
    status = s.status;
    var line = "";
    if (s.status === "waiting") line = s.queue_position ? t.queue.replace("{n}", s.queue_position) : t.waiting;
    if (s.status === "operator") line = t.operator;
    ui.status.textContent = line;
    ui.status.style.display = line ? "block" : "none";
    ui.form.classList.toggle("open", !!s.offline_form);
    ui.human.style.display = cfg.handoff_button && s.status !== "waiting" && s.status !== "operator" ? "" : "none";
  }

  function applyView(v) {
    ui.list.querySelectorAll(".pending").forEach(function (n) { n.remove(); });
    v.messages.forEach(render);
    applyState(v);
    if (v.dialog_id) follow();
  }

  function sync() {
    if (!token) return Promise.resolve();
    return json("messages?after=" + lastId).then(applyView).catch(showError);
  }

  function follow() {
    if (source || !token || !window.EventSource) return;
    source = new EventSource(API + "events?token=" + encodeURIComponent(token) + "&after=" + lastId);
    source.addEventListener("message", function (e) { if (!busy) render(JSON.parse(e.data)); });
    source.addEventListener("state", function (e) { applyState(JSON.parse(e.data)); });
    source.addEventListener("typing", function () {
      ui.typing.textContent = t.typing;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { ui.typing.textContent = ""; }, 4000);
    });
  }

  function showError(err) { ui.error.textContent = t.error + (err && err.message ? err.message : err); }

  function send() {
    var text = ui.input.value.trim();
    if (!text || busy) return;
    busy = true;
    ui.error.textContent = "";
    ui.input.value = "";
    var mine = bubble({ role: "user", text: text });
    var reply = bubble({ role: "assistant", text: "…" });
    mine.classList.add("pending");
    reply.classList.add("pending");
    ui.list.append(mine, reply);
    ui.list.scrollTop = ui.list.scrollHeight;
    var id = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    ensureVisitor()
      .then(function () { return call("messages", "POST", { text: text, message_id: id, page: location.pathname }); })
      .then(function (r) {
        if (!r.ok) return r.json().then(function (d) { throw new Error(d.message || "HTTP " + r.status); });
        return readStream(r, reply);
      })
      .catch(function (err) { mine.remove(); reply.remove(); ui.input.value = text; showError(err); })
      .then(function () { busy = false; return sync(); });
  }

  function readStream(response, reply) {
    var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "", text = "";
    function handle(frame) {
      var event = "message", data = "";
      frame.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) event = line.slice(7);
        else if (line.indexOf("data: ") === 0) data += line.slice(6);
      });
      if (event === "delta") { text += JSON.parse(data).text; reply.textContent = text; }
      else if (event === "reset") { text = ""; reply.textContent = "…"; }
      else if (event === "error") throw new Error(JSON.parse(data).message);
      ui.list.scrollTop = ui.list.scrollHeight;
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        var frames = buffer.split("\n\n");
        buffer = frames.pop();
        frames.forEach(handle);
        return pump();
      });
    }
    return pump();
  }

  function askHuman() {
    ensureVisitor().then(function () { return json("handoff?language=" + cfg.language, "POST"); })
      .then(applyView).catch(showError);
  }

  function leaveContact() {
    json("contact", "POST", { name: ui.name.value, contact: ui.contact.value }).then(applyView).catch(showError);
  }

  function visitorTyping() {
    var now = Date.now();
    if (!token || now - lastTypingSent < 3000 || (status !== "operator" && status !== "waiting")) return;
    lastTypingSent = now;
    call("typing", "POST").catch(function () { /* a hint only */ });
  }

  function start() {
    fetch(API + "config").then(function (r) {
      if (!r.ok) throw new Error("ChatAI widget: " + r.status);
      return r.json();
    }).then(function (c) {
      cfg = c;
      var lang = c.language === "ru" || c.language === "en" ? c.language : (navigator.language || "en").slice(0, 2);
      cfg.language = lang === "ru" ? "ru" : "en";
      t = TEXT[cfg.language];
      build();
      var wasOpen = false;
      try { wasOpen = sessionStorage.getItem(KEY + ":open") === "1"; } catch (e) { /* ignore */ }
      if (PAGE_MODE) sync();
      else if (wasOpen) toggle();
    }).catch(function (err) { if (window.console) console.warn(err.message || err); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
