(() => {
  "use strict";
  // Stars and notes (crates/render/src/notes.rs holds the rules of the block they are
  // saved in). A reader stars conversations and writes notes on messages; "Save a copy
  // with notes" writes the export's own bytes with one block inserted right before the
  // manifest's, so the export inside stays exactly as rendered and `verify` still checks
  // it. A page cannot read its own file (no request is allowed, and browsers refuse
  // file:// reads), so the reader picks it; the copy is made only from the file whose
  // manifest is this page's.
  const bar = document.getElementById("notes");
  const list = document.getElementById("conversations");
  if (!bar || !list) return;
  const count = document.getElementById("notes-count");
  const save = document.getElementById("notes-save");
  const picker = document.getElementById("notes-file");
  const status = document.getElementById("notes-status");
  const FORMAT = "convo-export-notes/1";
  // Built in parts: the script must never hold the block's opening (the block is found by
  // it) nor a closing tag.
  const OPEN = "<script type=\"application/json\" id=\"export-" + "notes\">";
  const CLOSE = "<" + "/script>";
  const MANIFEST_OPEN = "<script type=\"application/json\" id=\"export-" + "manifest\">";
  const stars = new Set();
  const notes = new Map();
  const key = (id, n) => id + "\u0000" + n;
  let saved = true;

  // The anchor of a conversation is `c-` and its id with every byte outside A-Z a-z 0-9
  // - . _ ~ percent-encoded (page.rs, push_fragment).
  const fragment = (id) => encodeURIComponent(id).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  const idOf = (conv) => decodeURIComponent(conv.id.slice(2));
  const messageOf = (conv, li) => Number(li.id.slice(conv.id.length + 2));

  const show = () => {
    const n = notes.size;
    count.textContent = stars.size + " starred, " + n + (n === 1 ? " note" : " notes") + (saved ? "" : " (not saved yet)");
  };
  const changed = () => { saved = false; show(); };

  const openEditor = (conv, li, focus) => {
    let editor = li.querySelector(".note");
    if (!editor) {
      const n = messageOf(conv, li);
      editor = document.createElement("div");
      editor.className = "note";
      const label = document.createElement("label");
      label.htmlFor = li.id + "-note";
      label.textContent = "Note on message " + n;
      const text = document.createElement("textarea");
      text.id = li.id + "-note";
      text.maxLength = 4000;
      text.value = notes.get(key(idOf(conv), n)) || "";
      editor.append(label, text);
      li.append(editor);
      const button = li.querySelector(".nb");
      if (button) button.setAttribute("aria-expanded", "true");
    }
    if (focus) editor.querySelector("textarea").focus();
  };

  const decorated = new WeakSet();
  const decorate = (conv) => {
    if (!conv || decorated.has(conv)) return;
    decorated.add(conv);
    window.convoOpen(conv);
    const id = idOf(conv);
    const tools = document.createElement("p");
    tools.className = "tools";
    const star = document.createElement("button");
    star.type = "button";
    star.className = "star";
    tools.append(star);
    conv.querySelector("h2").after(tools);
    showStar(star, stars.has(id));
    for (const li of conv.querySelectorAll("li.m")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "nb";
      button.textContent = "Note";
      button.setAttribute("aria-expanded", "false");
      li.querySelector(".mh").append(" ", button);
      if (notes.has(key(id, messageOf(conv, li)))) openEditor(conv, li, false);
    }
  };
  const showStar = (star, on) => {
    star.setAttribute("aria-pressed", String(on));
    star.textContent = on ? "\u2605 Starred" : "\u2606 Star";
  };

  // Tools appear on the conversations the browser renders (the same bookkeeping the
  // search uses), and on any a reader reaches by pointer or keyboard. They take no room
  // of their own (export.css): adding them never moves what the reader is looking at.
  list.addEventListener("contentvisibilityautostatechange", (e) => {
    if (!e.skipped && e.target.classList.contains("conv")) decorate(e.target);
  }, true);
  const reach = (e) => decorate(e.target.closest && e.target.closest(".conv"));
  list.addEventListener("focusin", reach);
  list.addEventListener("pointerover", reach);

  list.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest("button.star, button.nb");
    if (!button) return;
    const conv = button.closest(".conv");
    const id = idOf(conv);
    if (button.classList.contains("star")) {
      if (stars.has(id)) stars.delete(id); else stars.add(id);
      showStar(button, stars.has(id));
      changed();
    } else {
      openEditor(conv, button.closest("li.m"), true);
    }
  });
  list.addEventListener("input", (e) => {
    const text = e.target;
    if (text.tagName !== "TEXTAREA" || !text.closest(".note")) return;
    const conv = text.closest(".conv");
    const k = key(idOf(conv), messageOf(conv, text.closest("li.m")));
    if (text.value.trim()) notes.set(k, text.value); else notes.delete(k);
    changed();
  });

  // What the copy carries, in the page's order.
  const block = () => {
    const order = new Map();
    const convs = list.getElementsByClassName("conv");
    for (let i = 0; i < convs.length; i++) order.set(idOf(convs[i]), i);
    const noted = [...notes].map(([k, text]) => {
      const cut = k.lastIndexOf("\u0000");
      return { conversation: k.slice(0, cut), message: Number(k.slice(cut + 1)), text };
    });
    noted.sort((a, b) => order.get(a.conversation) - order.get(b.conversation) || a.message - b.message);
    const json = JSON.stringify({
      format: FORMAT,
      saved_at: new Date().toISOString(),
      stars: [...stars].sort((a, b) => order.get(a) - order.get(b)),
      notes: noted,
    });
    return OPEN + json.replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026") + CLOSE;
  };

  const sameAt = (bytes, at, part) => {
    if (at < 0 || at + part.length > bytes.length) return false;
    for (let i = 0; i < part.length; i++) if (bytes[at + i] !== part[i]) return false;
    return true;
  };
  const lastIndexOf = (bytes, part) => {
    for (let at = bytes.length - part.length; at >= 0; at--) {
      if (bytes[at] === part[0] && sameAt(bytes, at, part)) return at;
    }
    return -1;
  };

  save.addEventListener("click", () => {
    status.textContent = "Choose this export's own file: a page may read its file only when you pick it.";
    picker.value = "";
    picker.click();
  });
  picker.addEventListener("change", async () => {
    const file = picker.files && picker.files[0];
    if (!file) return;
    let bytes;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      status.textContent = "That file cannot be read: nothing was saved.";
      return;
    }
    const enc = new TextEncoder();
    const open = enc.encode(MANIFEST_OPEN);
    // Looked up now: the manifest comes after this script in the page.
    const manifest = document.getElementById("export-manifest");
    const at = lastIndexOf(bytes, open);
    if (at < 0 || !manifest || !sameAt(bytes, at + open.length, enc.encode(manifest.textContent + CLOSE))) {
      status.textContent = "That is not this export's file (its manifest differs): nothing was saved. Choose the file this page was opened from.";
      return;
    }
    // A copy's earlier notes are replaced: its block ends where the manifest's begins.
    let from = at;
    const close = enc.encode(CLOSE);
    if (sameAt(bytes, at - close.length, close)) {
      let lt = at - close.length - 1;
      while (lt >= 0 && bytes[lt] !== 0x3c) lt--;
      if (sameAt(bytes, lt, enc.encode(OPEN))) from = lt;
    }
    const copy = new Blob([bytes.subarray(0, from), block(), bytes.subarray(at)], { type: "text/html" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(copy);
    link.download = file.name.replace(/(-notes)?\.html?$/i, "") + "-notes.html";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    saved = true;
    show();
    status.textContent = "Saved " + link.download + ". The export in it is unchanged: verify checks it and lists the notes.";
  });

  // A copy opened again shows what it carries.
  const load = () => {
    const carried = document.getElementById("export-notes");
    if (carried) {
      try {
        const data = JSON.parse(carried.textContent);
        if (data && data.format === FORMAT) {
          for (const id of data.stars || []) if (typeof id === "string") stars.add(id);
          for (const n of data.notes || []) {
            if (n && typeof n.conversation === "string" && typeof n.text === "string" && n.text) notes.set(key(n.conversation, n.message), n.text);
          }
          const ids = new Set(stars);
          for (const k of notes.keys()) ids.add(k.slice(0, k.lastIndexOf("\u0000")));
          for (const id of ids) decorate(document.getElementById("c-" + fragment(id)));
          status.textContent = "This copy carries notes saved " + String(data.saved_at) + ".";
        }
      } catch (e) {
        status.textContent = "This copy's notes cannot be read.";
      }
    }
    show();
    bar.hidden = false;
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load); else load();
})();
