//! **Download encrypted…** on a ready export: asks for a passphrase twice and saves a
//! passphrase file (`convo_render::sealed`) sealed by this tab, so that neither the
//! passphrase nor the key ever leaves it. The passphrase lives in the two fields only:
//! never stored, never in the URL, cleared when the dialog closes.

use crate::api;
use crate::save::save_blob;
use crate::state::{Rendered, Toasts};
use convo_model::api::{ExportInfo, ExportStatus};
use convo_render::sealed::{self, Sealing};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The export's bytes: the Blob this tab rendered, else the server's file.
async fn export_bytes(export: &ExportInfo, rendered: Rendered) -> Result<Vec<u8>, String> {
    if let Some(blob) = rendered.get(&export.id) {
        let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await.map_err(|_| "cannot read the export".to_string())?;
        return Ok(js_sys::Uint8Array::new(&buffer).to_vec());
    }
    api::export_file(&export.content_url).await.map_err(|e| e.message)
}

/// A fresh salt and nonce from the browser's cryptographic generator.
fn fresh_sealing() -> Result<Sealing, String> {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok()).ok_or("this browser has no cryptographic random generator")?;
    let mut sealing = Sealing { salt: [0; 16], nonce: [0; 12] };
    crypto.get_random_values_with_u8_array(&mut sealing.salt).map_err(|_| "no random salt")?;
    crypto.get_random_values_with_u8_array(&mut sealing.nonce).map_err(|_| "no random nonce")?;
    Ok(sealing)
}

#[component]
pub fn DownloadEncrypted(export: ExportInfo) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let rendered = expect_context::<Rendered>();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let first = RwSignal::new(String::new());
    let second = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = export.status == ExportStatus::Ready;
    let field_id = format!("passphrase-{}", export.id);
    let repeat_id = format!("passphrase-again-{}", export.id);
    let error_id = format!("passphrase-error-{}", export.id);
    let close = move || {
        first.set(String::new());
        second.set(String::new());
        error.set(None);
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };
    let export_for_submit = export.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (passphrase, again) = (first.get_untracked(), second.get_untracked());
        if let Err(e) = sealed::check_passphrase(&passphrase) {
            error.set(Some(format!("The passphrase is too short: {e}.")));
            return;
        }
        if passphrase != again {
            error.set(Some("The two passphrases differ.".into()));
            return;
        }
        let export = export_for_submit.clone();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let sealed_page = async {
                let bytes = export_bytes(&export, rendered).await?;
                sealed::seal(&bytes, &passphrase, fresh_sealing()?)
            }
            .await;
            match sealed_page.and_then(|page| {
                let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&page));
                let options = web_sys::BlobPropertyBag::new();
                options.set_type("text/html");
                web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(|_| "cannot make the file".to_string())
            }) {
                Ok(blob) => {
                    let name = sealed::sealed_filename(&export.filename);
                    save_blob(&blob, &name);
                    toasts.show(format!("{name} is saved: it opens with its passphrase only."));
                    close();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let open = move |_| {
        if let Some(d) = dialog.get_untracked() {
            let _ = d.show_modal();
        }
    };
    let input = |signal: RwSignal<String>| move |ev: leptos::ev::Event| signal.set(event_target_value(&ev));
    view! {
        <button type="button" class="encrypt" disabled=!ready on:click=open>"Download encrypted\u{2026}"</button>
        <dialog node_ref=dialog class="export-dialog encrypt-dialog" aria-labelledby=format!("{field_id}-h") on:close=move |_| close()>
            <form on:submit=submit autocomplete="off">
                <h2 id=format!("{field_id}-h")>"Download encrypted"</h2>
                <p class="help">"This tab seals a copy of "<bdi>{export.filename.clone()}</bdi>" with AES-256: it opens offline in a browser with the passphrase, and nobody can open it without. The passphrase is not sent or kept: if it is lost, so is the copy."</p>
                <label for=field_id.clone()>"Passphrase (at least 8 characters)"</label>
                <input id=field_id.clone() type="password" autocomplete="new-password" required aria-describedby=error_id.clone()
                    aria-invalid=move || error.with(Option::is_some).to_string() prop:value=move || first.get() on:input=input(first) />
                <label for=repeat_id.clone()>"The passphrase again"</label>
                <input id=repeat_id.clone() type="password" autocomplete="new-password" required aria-describedby=error_id.clone()
                    prop:value=move || second.get() on:input=input(second) />
                <p class="field-error" id=error_id.clone() role="alert">{move || error.get()}</p>
                <div class="actions">
                    <button type="button" on:click=move |_| close()>"Cancel"</button>
                    <button type="submit" class="primary seal" disabled=move || busy.get()>
                        {move || if busy.get() { "Encrypting\u{2026}" } else { "Encrypt and download" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}
