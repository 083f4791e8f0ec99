//! The invite page (`/invite#SECRET`, the link an admin gave): the new account sets its
//! password, and is signed in. The secret leaves the address bar at once, so it is in
//! no history entry and no screenshot after.

use crate::api;
use convo_model::api::Me;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The invite's secret, if the address is an invite link (and takes it off the address).
pub fn invite_secret() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    if location.pathname().ok()? != "/invite" {
        return None;
    }
    let secret = location.hash().ok()?.trim_start_matches('#').to_string();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"));
    }
    (!secret.is_empty()).then_some(secret)
}

#[component]
pub fn Invite(secret: String, on_login: impl Fn(Me) + Copy + 'static) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let secret = StoredValue::new(secret);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match api::accept_invite(&secret.get_value(), &password.get_untracked()).await {
                Ok(me) => on_login(me),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="login">
            <form on:submit=submit aria-labelledby="invite-h">
                <h1 id="invite-h">"Set your password"</h1>
                <p class="help">"An administrator invited you. Choose a password of at least 8 characters."</p>
                <label for="invite-password">"Password"</label>
                <input id="invite-password" type="password" autocomplete="new-password" required minlength="8"
                    aria-describedby="invite-error"
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <p id="invite-error" class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || busy.get()>"Set password and log in"</button>
            </form>
        </main>
    }
}
