/*
 * Pishkhan chat widget. One tag on any page, no dependencies, no build step:
 *
 *   <script src="https://support.example/chat/widget.js" data-channel="webchat" data-locale="fa" async></script>
 *
 * It speaks the web-chat protocol of Channels/chat-protocol.md over /ws/chat/{channel}: the visitor token
 * and the conversation are kept in localStorage per channel, unacknowledged messages are resent after a
 * reconnect under the same id (the server stores each id once), replies are shown once each by seq, and a
 * lost connection is retried with backoff. Text is only ever inserted as text nodes, never as HTML.
 * Options (data-*): channel (required), locale (fa | en), mode (launcher | inline), container (a CSS
 * selector, inline mode), server (Pishkhan's address when the script is served from elsewhere), title,
 * name (the visitor's name, if the site knows it), open (launcher starts open).
 */
(function () {
  'use strict';

  const script = document.currentScript;
  if (!script || !script.dataset.channel) {
    console.error('Pishkhan chat: the <script> tag needs data-channel="<channel id>"');
    return;
  }
  const options = script.dataset;
  const channel = options.channel;
  if (document.querySelector('[data-pishkhan-chat="' + CSS.escape(channel) + '"]')) return; // included twice

  const STRINGS = {
    en: {
      title: 'Chat with us',
      intro: 'Write your question; our team answers here.',
      placeholder: 'Write a message…',
      send: 'Send',
      open: 'Open the chat',
      close: 'Close the chat',
      you: 'You',
      agent: 'Support',
      bot: 'Assistant',
      connecting: 'Connecting…',
      online: 'Online',
      offline: 'Offline. Trying again in {n} s…',
      pending: 'Sending…',
      sent: 'Sent',
      failed: 'Not sent',
      tooLong: 'This message is too long: at most {n} characters.',
      rateLimited: 'Too many messages at once; the rest go out in a moment.',
      unavailable: 'Not stored yet; trying again…',
      newConversation: 'Your earlier conversation could not be resumed, so this is a new one.',
    },
    fa: {
      title: 'گفتگو با ما',
      intro: 'پرسش خود را بنویسید؛ همکاران ما همین‌جا پاسخ می‌دهند.',
      placeholder: 'پیام خود را بنویسید…',
      send: 'ارسال',
      open: 'باز کردن گفتگو',
      close: 'بستن گفتگو',
      you: 'شما',
      agent: 'پشتیبانی',
      bot: 'دستیار',
      connecting: 'در حال اتصال…',
      online: 'آنلاین',
      offline: 'اتصال قطع است. تلاش دوباره تا {n} ثانیه دیگر…',
      pending: 'در حال ارسال…',
      sent: 'ارسال شد',
      failed: 'ارسال نشد',
      tooLong: 'این پیام طولانی است: حداکثر {n} نویسه.',
      rateLimited: 'پیام‌ها پشت سر هم فرستاده شد؛ بقیه کمی بعد می‌رود.',
      unavailable: 'هنوز ذخیره نشد؛ دوباره تلاش می‌کنیم…',
      newConversation: 'گفتگوی قبلی شما ادامه پیدا نکرد؛ این گفتگوی تازه‌ای است.',
    },
  };

  const requested = (options.locale || document.documentElement.lang || 'en').toLowerCase();
  const locale = requested.startsWith('fa') ? 'fa' : 'en';
  const t = STRINGS[locale];
  const numberFormat = new Intl.NumberFormat(locale === 'fa' ? 'fa-IR' : 'en');
  const timeFormat = new Intl.DateTimeFormat(locale === 'fa' ? 'fa-IR' : 'en', { hour: '2-digit', minute: '2-digit' });
  const format = (text, n) => text.replace('{n}', numberFormat.format(n));

  // The server: data-server, or where this script came from (…/chat/widget.js → …/).
  let serverAddress = options.server ? new URL(options.server, location.href).href : new URL('..', script.src).href;
  if (!serverAddress.endsWith('/')) serverAddress += '/';
  const socketURL = new URL('ws/chat/' + encodeURIComponent(channel), serverAddress);
  socketURL.protocol = socketURL.protocol === 'https:' ? 'wss:' : 'ws:';

  // ---- What is kept between visits: the token, the highest seq seen and the conversation. ----

  const storageKey = 'pishkhan-chat:' + channel;
  const MAX_KEPT = 200;
  let token = null;
  let lastSeq = 0;
  let items = []; // {kind: 'visitor', id, text, at, state: pending|sent|failed, error?} | {kind: agent|bot, seq, text, at}
  try {
    const kept = JSON.parse(localStorage.getItem(storageKey) || '{}');
    if (typeof kept.token === 'string') token = kept.token;
    if (Number.isSafeInteger(kept.lastSeq)) lastSeq = kept.lastSeq;
    if (Array.isArray(kept.items)) items = kept.items.filter((i) => i && typeof i.text === 'string');
  } catch (_) { /* storage off or unreadable: a new conversation */ }
  if (!token) lastSeq = 0;
  const seen = new Set(items.filter((i) => i.kind !== 'visitor').map((i) => i.seq));

  function save() {
    if (items.length > MAX_KEPT) items = items.slice(-MAX_KEPT);
    try {
      localStorage.setItem(storageKey, JSON.stringify({ token, lastSeq, items }));
    } catch (_) { /* private mode or full: the conversation lives as long as the page */ }
  }

  // ---- The widget, in a shadow root so that the site's styles and ours stay apart. ----

  function el(tag, className, attributes) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    return node;
  }

  const inline = options.mode === 'inline';
  const host = el('div', null, { 'data-pishkhan-chat': channel, 'data-state': 'connecting' });
  const shadow = host.attachShadow({ mode: 'open' });
  const style = el('link', null, { rel: 'stylesheet', href: new URL('chat/widget.css', serverAddress).href });
  const root = el('div', 'pk-root', { lang: locale, dir: locale === 'fa' ? 'rtl' : 'ltr', 'data-mode': inline ? 'inline' : 'launcher' });
  root.hidden = true; // until the style sheet is in, rather than flash unstyled
  style.addEventListener('load', () => { root.hidden = false; });
  style.addEventListener('error', () => { root.hidden = false; });

  const launcher = el('button', 'pk-launcher', { type: 'button', 'aria-expanded': 'false', 'aria-label': t.open });
  // A speech bubble drawn as SVG, so that it needs no emoji font.
  const svg = 'http://www.w3.org/2000/svg';
  const bubble = document.createElementNS(svg, 'svg');
  bubble.setAttribute('viewBox', '0 0 24 24');
  bubble.setAttribute('aria-hidden', 'true');
  bubble.setAttribute('class', 'pk-launcher-icon');
  const outline = document.createElementNS(svg, 'path');
  outline.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
  bubble.append(outline);
  launcher.append(bubble);
  const badge = el('span', 'pk-badge');
  badge.hidden = true;
  launcher.append(badge);

  const panel = el('section', 'pk-panel', { 'aria-label': options.title || t.title });
  const header = el('header', 'pk-header');
  const heading = el('div', 'pk-heading');
  const title = el('h2', 'pk-title', { dir: 'auto' });
  title.textContent = options.title || t.title;
  const status = el('p', 'pk-status', { role: 'status', 'data-state': 'connecting' });
  status.textContent = t.connecting;
  heading.append(title, status);
  const closeButton = el('button', 'pk-close', { type: 'button', 'aria-label': t.close });
  closeButton.textContent = '×';
  header.append(heading, closeButton);

  const log = el('ol', 'pk-log', { 'aria-live': 'polite' });
  const intro = el('p', 'pk-intro', { dir: 'auto' });
  intro.textContent = t.intro;
  const notice = el('p', 'pk-notice', { role: 'alert', dir: 'auto' });
  notice.hidden = true;
  const form = el('form', 'pk-compose');
  const input = el('textarea', 'pk-input', { dir: 'auto', rows: '2', placeholder: t.placeholder, 'aria-label': t.placeholder });
  const sendButton = el('button', 'pk-send', { type: 'submit' });
  sendButton.textContent = t.send;
  form.append(input, sendButton);
  panel.append(header, intro, log, notice, form);
  root.append(panel);
  if (!inline) root.append(launcher);
  shadow.append(style, root);

  let open = inline || options.open === 'true' || options.open === '';
  let unread = 0;
  // Focus follows only the visitor's own click (or the inline page): a site's page load keeps its focus.
  function setOpen(value, focus) {
    open = inline || value;
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    launcher.setAttribute('aria-label', open ? t.close : t.open);
    if (open) {
      unread = 0;
      badge.hidden = true;
      log.scrollTop = log.scrollHeight;
      if (focus) input.focus({ preventScroll: true });
    }
  }
  launcher.addEventListener('click', () => setOpen(!open, true));
  closeButton.addEventListener('click', () => setOpen(false));
  closeButton.hidden = inline;

  function mount() {
    const container = inline && options.container ? document.querySelector(options.container) : null;
    (container || document.body).append(host);
    setOpen(open, inline);
    for (const item of items) render(item);
  }

  // ---- Messages on screen. ----

  const shown = new Map(); // item key → its <li>
  const keyOf = (item) => (item.kind === 'visitor' ? 'c:' + item.id : 's:' + item.seq);

  // Links in replies (the answer bot sends help-page addresses) become anchors; everything else is text.
  function fillText(node, text, linkify) {
    const pattern = /\bhttps?:\/\/[^\s<>"']+/g;
    let at = 0;
    let match;
    while (linkify && (match = pattern.exec(text))) {
      const address = match[0].replace(/[.,;:!?)\]»،؛]+$/u, '');
      node.append(text.slice(at, match.index));
      const link = el('a', null, { href: address, target: '_blank', rel: 'noopener noreferrer nofollow', dir: 'ltr' });
      link.textContent = address;
      node.append(link);
      at = match.index + address.length;
      pattern.lastIndex = at;
    }
    node.append(text.slice(at));
  }

  function render(item) {
    const key = keyOf(item);
    let row = shown.get(key);
    if (!row) {
      row = el('li', 'pk-msg pk-from-' + item.kind, { dir: 'auto', 'data-from': item.kind });
      if (item.kind === 'visitor') row.dataset.id = item.id; else row.dataset.seq = String(item.seq);
      const text = el('p', 'pk-text', { dir: 'auto' });
      fillText(text, item.text, item.kind !== 'visitor');
      row.append(text, el('p', 'pk-meta'));
      log.append(row);
      shown.set(key, row);
      intro.hidden = true;
    }
    const who = item.kind === 'visitor' ? t.you : item.kind === 'bot' ? t.bot : t.agent;
    const when = item.at ? timeFormat.format(new Date(item.at)) : '';
    const parts = [who, when];
    if (item.kind === 'visitor') {
      row.dataset.state = item.state;
      if (item.state !== 'sent') parts.push(item.error || t[item.state]);
    }
    row.lastChild.textContent = parts.filter(Boolean).join(' · ');
    if (open) log.scrollTop = log.scrollHeight;
  }

  let noticeTimer = null;
  function say(text) {
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { notice.hidden = true; }, 8000);
  }

  // ---- The connection. ----

  let socket = null;
  let welcomed = false;
  let attempt = 0;
  let retryAt = 0;
  let retryTimer = null;
  let countdown = null;
  let resendTimer = null;
  let startFresh = false;
  let maxLength = 4000;

  function setState(state) {
    host.dataset.state = state;
    status.dataset.state = state;
    clearInterval(countdown);
    countdown = null;
    if (state === 'offline') {
      const tick = () => { status.textContent = format(t.offline, Math.max(1, Math.ceil((retryAt - Date.now()) / 1000))); };
      tick();
      countdown = setInterval(tick, 1000);
    } else {
      status.textContent = t[state];
    }
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (socket) return;
    setState('connecting');
    let ws;
    try {
      ws = new WebSocket(socketURL.href);
    } catch (_) {
      return retry();
    }
    socket = ws;
    ws.addEventListener('open', () => {
      const hello = { type: 'hello', lastSeq };
      if (token) hello.visitorToken = token;
      if (options.name) hello.name = options.name;
      ws.send(JSON.stringify(hello));
    });
    ws.addEventListener('message', (event) => { if (ws === socket) receive(event.data); });
    ws.addEventListener('close', () => {
      if (ws !== socket) return;
      socket = null;
      welcomed = false;
      retry();
    });
  }

  // Backoff: 0.5 s doubling to 30 s, ±20 % so that a server restart is not met by every visitor at once.
  function retry() {
    if (retryTimer) return;
    const delay = startFresh ? 0 : Math.min(30000, 500 * 2 ** attempt) * (0.8 + Math.random() * 0.4);
    startFresh = false;
    attempt += 1;
    retryAt = Date.now() + delay;
    setState('offline');
    retryTimer = setTimeout(connect, delay);
  }

  // Back on the network or back on the tab: try now rather than wait out the backoff.
  function retryNow() { if (!socket && retryTimer) connect(); }
  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') retryNow(); });

  function send(frame) {
    if (!socket || !welcomed) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  // Every message not yet acknowledged goes (again) under its own id; the server stores each id once.
  function flush() {
    for (const item of items) {
      if (item.kind === 'visitor' && item.state === 'pending') send({ type: 'message', id: item.id, text: item.text });
    }
  }

  function resendSoon(ms) {
    clearTimeout(resendTimer);
    resendTimer = setTimeout(flush, ms);
  }

  const visitorItem = (id) => items.find((i) => i.kind === 'visitor' && i.id === id);

  function update(item, changes) {
    Object.assign(item, changes);
    save();
    render(item);
  }

  function receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (_) {
      return;
    }
    switch (frame.type) {
      case 'welcome':
        token = frame.visitorToken;
        if (Number.isSafeInteger(frame.maxMessageLength)) maxLength = frame.maxMessageLength;
        welcomed = true;
        attempt = 0;
        save();
        setState('online');
        flush();
        break;
      case 'message': {
        if (!Number.isSafeInteger(frame.seq) || seen.has(frame.seq)) return;
        seen.add(frame.seq);
        lastSeq = Math.max(lastSeq, frame.seq);
        const item = { kind: frame.from === 'bot' ? 'bot' : 'agent', seq: frame.seq, text: String(frame.text ?? ''), at: frame.sentAt };
        items.push(item);
        save();
        render(item);
        if (!open) {
          unread += 1;
          badge.textContent = numberFormat.format(unread);
          badge.hidden = false;
        }
        break;
      }
      case 'ack': {
        const item = visitorItem(frame.id);
        if (item && item.state !== 'sent') update(item, { state: 'sent', error: undefined });
        break;
      }
      case 'error':
        failed(frame);
        break;
    }
  }

  function failed(frame) {
    const item = frame.id ? visitorItem(frame.id) : null;
    switch (frame.code) {
      case 'bad-token':
        // Signed by another secret (or altered): forget this visitor and start over; what was not sent
        // yet is sent in the new conversation.
        token = null;
        lastSeq = 0;
        seen.clear();
        items = items.filter((i) => i.kind === 'visitor' && i.state === 'pending');
        for (const row of shown.values()) row.remove();
        shown.clear();
        for (const i of items) render(i);
        save();
        say(t.newConversation);
        startFresh = true; // the server closes the connection; reconnect at once
        break;
      case 'too-long':
        if (item) update(item, { state: 'failed', error: format(t.tooLong, maxLength) });
        break;
      case 'frame-too-large': {
        // No id: it was the newest message still waiting. Not resent, or every reconnect would fail again.
        const last = [...items].reverse().find((i) => i.kind === 'visitor' && i.state === 'pending');
        if (last) update(last, { state: 'failed', error: t.failed });
        break;
      }
      case 'rate-limited':
        say(t.rateLimited);
        resendSoon(10000);
        break;
      case 'unavailable':
        if (item) render(Object.assign(item, { error: t.unavailable }));
        resendSoon(3000);
        break;
      case 'bad-frame':
        if (item) update(item, { state: 'failed', error: t.failed });
        break;
    }
  }

  // Characters as the server counts them (grapheme clusters), so a Persian word with its vowel marks is
  // not refused here while the server would take it.
  const segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(locale) : null;
  const length = (text) => (segmenter ? [...segmenter.segment(text)].length : [...text].length);

  function newID() {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return 'w-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (length(text) > maxLength) return say(format(t.tooLong, maxLength));
    const item = { kind: 'visitor', id: newID(), text, at: new Date().toISOString(), state: 'pending' };
    items.push(item);
    save();
    render(item);
    input.value = '';
    send({ type: 'message', id: item.id, text });
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
  connect();
})();
