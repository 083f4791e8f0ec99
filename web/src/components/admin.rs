//! The Administration page (admins only): accounts (`admin_accounts`), tokens
//! (`admin_tokens`) and every account's activity, each one section.

use super::activity::{EventRow, Whose};
use super::admin_accounts::Accounts;
use super::admin_tokens::Tokens;
use crate::api;
use convo_model::api::{AccountInfo, AssistantRef, AuditEvent, Me};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn AdministrationPage(me: Me, assistants: Signal<Vec<AssistantRef>>) -> impl IntoView {
    // The accounts, shared by both sections (the token form picks one).
    let accounts = RwSignal::new(Vec::<AccountInfo>::new());
    let error = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::admin_accounts().await {
                Ok(list) => accounts.set(list.accounts),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    reload();
    // Bumped by each token change; the trail reloads on it and on every account change.
    let changes = RwSignal::new(0u64);
    view! {
        <section class="administration" aria-labelledby="admin-h">
            <header class="toolbar"><h1 id="admin-h">"Administration"</h1></header>
            <p class="field-error" role="alert">{move || error.get()}</p>
            <Accounts me=me accounts=accounts assistants=assistants reload=reload />
            <Tokens accounts=accounts changes=changes />
            <Trail accounts=accounts changes=changes />
        </section>
    }
}

/// Every account's activity, newest first: what admins did, and to every export. It
/// starts again from the newest whenever an account or a token changes.
#[component]
fn Trail(accounts: RwSignal<Vec<AccountInfo>>, changes: RwSignal<u64>) -> impl IntoView {
    let events = RwSignal::new(Vec::<AuditEvent>::new());
    let cursor = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Which start this is: an answer for an earlier one is dropped.
    let generation = StoredValue::new(0u64);
    let load = move || {
        let mine = generation.get_value();
        spawn_local(async move {
            let answer = api::admin_activity(cursor.get_untracked().as_deref()).await;
            if generation.get_value() != mine {
                return;
            }
            match answer {
                Ok(page) => {
                    events.update(|e| e.extend(page.events));
                    done.set(page.next_cursor.is_none());
                    cursor.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    Effect::new(move |_| {
        accounts.track();
        changes.track();
        generation.update_value(|g| *g += 1);
        events.set(Vec::new());
        cursor.set(None);
        load();
    });
    view! {
        <section aria-labelledby="admin-trail-h">
            <h2 id="admin-trail-h">"Activity of every account"</h2>
            <p class="field-error" role="alert">{move || error.get()}</p>
            <table class="activity-table admin-trail">
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Account"</th><th scope="col">"Export"</th><th scope="col">"Details"</th>
                </tr></thead>
                <tbody>
                    {move || events.get().into_iter().map(|e| view! { <EventRow event=e whose=Whose::Everyones /> }).collect_view()}
                </tbody>
            </table>
            <Show when=move || !done.get()>
                <button type="button" on:click=move |_| load()>"Load more"</button>
            </Show>
        </section>
    }
}
