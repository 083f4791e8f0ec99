//! The web app's entry point: mounts the leptos app on the page's body.

mod api;
mod app;
mod pipeline;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
