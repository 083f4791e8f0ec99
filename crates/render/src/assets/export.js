(() => {
  "use strict";
  // Search without walking the DOM per key: the text of every conversation is read once
  // (in idle time after load, or at the first search), then each query scans plain
  // strings and only flips a class where the answer changed. The class uses
  // `content-visibility: hidden` rather than `display: none`, so the browser keeps each
  // conversation's layout and only collapses its box: showing thousands again is cheap.
  // Matches are highlighted with the CSS Custom Highlight API (no DOM changes), lazily,
  // as they come into view.
  const form = document.getElementById("search");
  const input = document.getElementById("q");
  const status = document.getElementById("search-status");
  const list = document.getElementById("conversations");
  if (!form || !input || !list) return;
  const blocks = Array.prototype.slice.call(list.children);
  const convs = Array.prototype.slice.call(list.getElementsByClassName("conv"));
  const shownNow = new Array(convs.length).fill(true);
  const texts = new Array(convs.length);
  let indexed = 0;
  // A lazy conversation (lazy.js) is read from its markup: tags dropped and the five characters
  // our escaping writes (escape/mod.rs, markdown.rs) read back, which is what its
  // `textContent` will be once built.
  const ESCAPED = { amp: "&", lt: "<", gt: ">", quot: "\"", "#39": "'" };
  const plain = (markup) => markup.replace(/<[^>]*>/g, "").replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ESCAPED[e]);
  const textOf = (conv) => {
    const lazy = conv.querySelector(":scope > noscript.lazy");
    if (!lazy || lazy.firstElementChild) return conv.textContent;
    let text = "";
    for (const part of conv.children) text += part === lazy ? plain(lazy.textContent) : part.textContent;
    return text;
  };
  const indexUpTo = (end) => {
    for (; indexed < end; indexed++) texts[indexed] = textOf(convs[indexed]).toLowerCase();
  };
  const indexInIdleTime = (deadline) => {
    while (indexed < convs.length && deadline.timeRemaining() > 2) indexUpTo(Math.min(convs.length, indexed + 50));
    if (indexed < convs.length) requestIdleCallback(indexInIdleTime);
  };
  if (window.requestIdleCallback) requestIdleCallback(indexInIdleTime);

  const highlights = typeof Highlight === "function" && window.CSS && CSS.highlights ? new Highlight() : null;
  if (highlights) {
    CSS.highlights.set("match", highlights);
    // Added from script: only browsers that can highlight need the rule.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync("::highlight(match){background:var(--mark);color:var(--markfg)}");
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }
  let terms = [];
  let marked = new WeakSet();
  const onScreen = new Set();
  const mark = (conv) => {
    if (!highlights || !terms.length || conv.classList.contains("off") || marked.has(conv)) return;
    marked.add(conv);
    const walker = document.createTreeWalker(conv, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.data.toLowerCase();
      if (text.length !== node.data.length) continue;
      for (const term of terms) {
        for (let at = text.indexOf(term); at >= 0; at = text.indexOf(term, at + term.length)) {
          const range = new Range();
          range.setStart(node, at);
          range.setEnd(node, at + term.length);
          highlights.add(range);
        }
      }
    }
  };
  // Conversations being rendered (near the viewport) are told apart by the browser's own
  // content-visibility bookkeeping, which costs nothing per conversation; observing
  // thousands of elements with an IntersectionObserver would slow every frame.
  list.addEventListener("contentvisibilityautostatechange", (e) => {
    const c = e.target;
    if (!c.classList.contains("conv")) return;
    if (e.skipped) onScreen.delete(c);
    else { onScreen.add(c); mark(c); }
  }, true);

  // The day field and the channel chips narrow the list together with the words; each
  // chip counts what the words and the day leave of its channel. Every conversation's
  // day and channel are read once, at the first narrowing.
  const day = document.getElementById("day");
  const chips = Array.prototype.slice.call(document.querySelectorAll("#chips .chip"));
  const chosen = new Set();
  let days = null;
  let channels = null;
  const readFacets = () => {
    if (days) return;
    days = convs.map((c) => c.getAttribute("data-day"));
    channels = convs.map((c) => c.getAttribute("data-ch"));
  };

  let lastKey = "\u0000\u0000";
  let continuing = false;
  const search = () => {
    const query = input.value.trim().toLowerCase();
    const onDay = day ? day.value : "";
    const key = query + "\u0000" + onDay + "\u0000" + [...chosen].sort().join("\u0001");
    if (key === lastKey) return;
    lastKey = key;
    terms = query ? query.split(/\s+/) : [];
    // The first search may come before the idle indexing is done: it reads texts for
    // at most 40 ms, answers for those, and goes on in the next task, so that no key
    // waits for the whole list (reading 100,000 messages takes about 170 ms here).
    let reading = false;
    if (terms.length && indexed < convs.length) {
      const until = performance.now() + 40;
      while (indexed < convs.length && performance.now() < until) indexUpTo(Math.min(convs.length, indexed + 25));
      reading = indexed < convs.length;
      if (reading && !continuing) {
        continuing = true;
        setTimeout(() => { continuing = false; lastKey = "\u0000\u0000"; search(); }, 0);
      }
    }
    const known = terms.length ? indexed : convs.length;
    const narrowed = terms.length > 0 || onDay !== "" || chosen.size > 0;
    if (narrowed || chips.length) readFacets();
    let shown = 0;
    const blockShown = new Map();
    const perChannel = new Map();
    for (let i = 0; i < known; i++) {
      let match = true;
      if (terms.length) {
        const text = texts[i];
        for (const term of terms) if (text.indexOf(term) < 0) { match = false; break; }
      }
      if (match && onDay && days[i] !== onDay) match = false;
      if (match && channels) perChannel.set(channels[i], (perChannel.get(channels[i]) || 0) + 1);
      if (match && chosen.size && !chosen.has(channels[i])) match = false;
      if (shownNow[i] !== match) {
        shownNow[i] = match;
        convs[i].classList.toggle("off", !match);
      }
      if (match) {
        shown++;
        blockShown.set(convs[i].parentNode, true);
      }
    }
    for (const b of blocks) {
      const off = !blockShown.has(b);
      if (b.classList.contains("off") !== off) b.classList.toggle("off", off);
    }
    for (const chip of chips) chip.querySelector(".n").textContent = String(perChannel.get(chip.getAttribute("data-ch")) || 0);
    status.textContent = reading
      ? "Searching\u2026 " + shown + " so far"
      : narrowed
      ? (shown === 1 ? "1 conversation" : shown + " conversations") + " of " + convs.length + " match"
      : "";
    if (highlights) {
      highlights.clear();
      marked = new WeakSet();
      for (const c of onScreen) mark(c);
    }
  };
  input.addEventListener("input", search);
  if (day) day.addEventListener("change", () => {
    search();
    if (day.value) document.getElementById("conversations-h").scrollIntoView();
  });
  for (const chip of chips) {
    chip.addEventListener("click", () => {
      const ch = chip.getAttribute("data-ch");
      if (chosen.has(ch)) chosen.delete(ch); else chosen.add(ch);
      chip.setAttribute("aria-pressed", String(chosen.has(ch)));
      search();
    });
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); search(); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && input.value) { input.value = ""; search(); }
  });
  document.addEventListener("keydown", (e) => {
    // "/" goes to the search, unless it is typed into a field (a note, the day).
    const typing = e.target.closest && e.target.closest("input, textarea, select, [contenteditable]");
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      input.focus();
    }
  });
  form.hidden = false;
})();
