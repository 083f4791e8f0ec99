(() => {
  "use strict";
  // Opens a passphrase file (crates/render/src/sealed.rs): the key comes from PBKDF2-SHA256
  // with the file's own salt and iterations, the export from AES-256-GCM, both by the
  // browser's WebCrypto. Nothing is sent, stored or put in the URL; the passphrase lives
  // in the field until the export replaces this page.
  const form = document.getElementById("unlock");
  const input = document.getElementById("passphrase");
  const button = document.getElementById("open");
  const status = document.getElementById("unlock-status");
  const params = JSON.parse(document.getElementById("convo-sealed").textContent);
  const bytes = (b64) => {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(b64);
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  };
  input.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!window.crypto || !crypto.subtle) {
      status.textContent = "This browser cannot decrypt the file: open it in a current Chrome, Firefox, Safari or Edge.";
      return;
    }
    button.disabled = true;
    input.setAttribute("aria-invalid", "false");
    status.textContent = "Opening\u2026";
    let plain;
    try {
      const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(input.value), "PBKDF2", false, ["deriveKey"]);
      const key = await crypto.subtle.deriveKey(
        { name: "PBKDF2", hash: "SHA-256", salt: bytes(params.salt), iterations: params.iterations },
        base, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
      const data = bytes(document.getElementById("convo-ciphertext").textContent);
      plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes(params.nonce) }, key, data);
    } catch (e) {
      input.value = "";
      input.setAttribute("aria-invalid", "true");
      status.textContent = "Wrong passphrase: nothing was opened. Try again.";
      button.disabled = false;
      input.focus();
      return;
    }
    const html = new TextDecoder().decode(plain);
    plain = null;
    document.open();
    document.write(html);
    document.close();
  });
})();
