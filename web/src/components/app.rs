//! The root: asks who is signed in, then shows the login page (or, for an invite link,
//! the page that sets a password) or the app, and the toasts over either.

use super::invite::{Invite, invite_secret};
use super::login::Login;
use super::shell::Shell;
use crate::api;
use crate::state::{Session, Toasts};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn App() -> impl IntoView {
    let session = RwSignal::new(Session::Loading);
    let invite = invite_secret();
    spawn_local(async move {
        session.set(match api::me().await {
            Ok(me) => Session::SignedIn(me),
            Err(_) => Session::SignedOut,
        });
    });
    let toasts = Toasts::new();
    provide_context(toasts);
    view! {
        {move || match session.get() {
            Session::Loading => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
            Session::SignedOut => match invite.clone() {
                Some(secret) => view! { <Invite secret=secret on_login=move |me| session.set(Session::SignedIn(me)) /> }.into_any(),
                None => view! { <Login on_login=move |me| session.set(Session::SignedIn(me)) /> }.into_any(),
            },
            Session::SignedIn(me) => view! { <Shell me=me on_logout=move || session.set(Session::SignedOut) /> }.into_any(),
        }}
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.0.get() key=|(id, _)| *id children=|(_, text)| view! { <p class="toast">{text}</p> } />
        </div>
    }
}
