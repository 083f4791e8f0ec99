//! Saving bytes the tab holds as a download.

use leptos::task::spawn_local;

/// Saves a Blob under `filename` through an object URL that is revoked afterwards.
pub fn save_blob(blob: &web_sys::Blob, filename: &str) {
    use wasm_bindgen::JsCast;
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else { return };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(a) =
        document.as_ref().and_then(|d| d.create_element("a").ok()).and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(filename);
        a.click();
    }
    let revoke = url.clone();
    spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(10_000).await;
        let _ = web_sys::Url::revoke_object_url(&revoke);
    });
}
