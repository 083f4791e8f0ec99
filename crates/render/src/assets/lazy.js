(() => {
  "use strict";
  // Lazy conversations (page.rs, BUILT_MESSAGES): past the first messages, all of a
  // conversation but its heading stands in a noscript element of class "lazy", which a
  // browser running script keeps as one text node of markup. It is built here, in place, when the
  // conversation comes near the screen, when a link names one of its messages, when the
  // notes need it, and before printing. The notes call `convoOpen`; the search reads the
  // markup as it is (export.js).
  const list = document.getElementById("conversations");
  if (!list) return;
  const open = (conv) => {
    const lazy = conv && conv.querySelector(":scope > noscript.lazy");
    if (lazy && lazy.firstElementChild) {
      // Parsed as markup already (a document parsed without script): only unwrapped.
      lazy.replaceWith(...lazy.childNodes);
    } else if (lazy) {
      const built = document.createElement("template");
      built.innerHTML = lazy.textContent;
      lazy.replaceWith(built.content);
    }
    return conv;
  };
  window.convoOpen = open;
  // Registered before the search's and the notes' listeners: they find it built.
  list.addEventListener("contentvisibilityautostatechange", (e) => {
    if (!e.skipped && e.target.classList.contains("conv")) open(e.target);
  }, true);
  // `#c-{id}-m{n}` of a conversation not built yet: build its conversation, then navigate to the
  // same address again, which makes the message the page's target and scrolls to it.
  const reach = () => {
    const target = location.hash.slice(1);
    if (!target || document.getElementById(target)) return;
    const message = /^(c-.*)-m[0-9]+$/.exec(target);
    const conv = message && document.getElementById(message[1]);
    if (!conv || !conv.classList.contains("conv")) return;
    open(conv);
    if (document.getElementById(target)) location.replace(location.href);
  };
  reach();
  window.addEventListener("hashchange", reach);
  window.addEventListener("beforeprint", () => {
    for (const lazy of Array.prototype.slice.call(list.querySelectorAll("noscript.lazy"))) open(lazy.parentNode);
  });
})();
