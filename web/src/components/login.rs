//! The login page: email and password, the server's answer next to the field.

use crate::api;
use convo_model::api::Me;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Login(on_login: impl Fn(Me) + Copy + 'static) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match api::login(&email.get_untracked(), &password.get_untracked()).await {
                Ok(me) => on_login(me),
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="login">
            <form on:submit=submit aria-labelledby="login-h">
                <h1 id="login-h">"Log in"</h1>
                <label for="email">"Email"</label>
                <input id="email" type="email" autocomplete="username" required
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev)) />
                <label for="password">"Password"</label>
                <input id="password" type="password" autocomplete="current-password" required
                    aria-describedby="login-error"
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <p id="login-error" class="field-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || busy.get()>"Log in"</button>
            </form>
        </main>
    }
}
