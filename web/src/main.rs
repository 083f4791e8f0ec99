//! The web app's entry point: mounts the leptos app on the page's body.
//!
//! `api` is the one typed client of the server, `pipeline` renders an export in the
//! browser, `state` holds what components share (session, toasts, running exports),
//! `format` says sizes and times as people read them, `save` hands bytes to the
//! browser as a download, and `components/` has one
//! component per concern.

mod api;
mod components;
mod format;
mod pipeline;
mod save;
mod state;

fn main() {
    console_error_panic_hook::set_once();
    // The export worker runs this module too: nothing to mount there (its messages go
    // to `pipeline`'s `worker_receive`).
    if web_sys::window().is_none() {
        return;
    }
    leptos::mount::mount_to_body(components::App);
}
