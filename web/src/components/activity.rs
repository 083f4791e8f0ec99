//! The Activity page: every event on the account's exports, newest first, page by page,
//! and the whole trail as a CSV download.

use crate::api;
use crate::format;
use convo_model::api::AuditEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ActivityPage() -> impl IntoView {
    let events = RwSignal::new(Vec::<AuditEvent>::new());
    let cursor = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let load = move || {
        loading.set(true);
        spawn_local(async move {
            match api::activity(cursor.get_untracked().as_deref()).await {
                Ok(page) => {
                    events.update(|e| e.extend(page.events));
                    done.set(page.next_cursor.is_none());
                    cursor.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.message)),
            }
            loading.set(false);
        });
    };
    load();
    view! {
        <section class="activity" aria-labelledby="activity-h">
            <header class="toolbar">
                <h1 id="activity-h">"Activity"</h1>
                <a class="button" id="activity-csv" href="/api/audit.csv" download="activity.csv">"Download CSV"</a>
            </header>
            <p class="help">"Everything that happened to your exports: who created, downloaded, opened, kept or deleted them, and what schedules, retention and the server did."</p>
            <p class="field-error" role="alert">{move || error.get()}</p>
            <Show when=move || !loading.get() && events.with(Vec::is_empty)>
                <p class="empty">"No activity yet."</p>
            </Show>
            <table class="activity-table">
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Export"</th><th scope="col">"Details"</th>
                </tr></thead>
                <tbody>
                    {move || events.get().into_iter().map(|e| view! { <EventRow event=e whose=Whose::Mine /> }).collect_view()}
                </tbody>
            </table>
            <Show when=move || !done.get()>
                <button type="button" on:click=move |_| load() disabled=move || loading.get()>"Load more"</button>
            </Show>
        </section>
    }
}

/// Whose events a table lists: the account's own, or every account's (with a column
/// that says whose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Mine,
    Everyones,
}

/// One event of a trail.
#[component]
pub fn EventRow(event: AuditEvent, whose: Whose) -> impl IntoView {
    let e = event;
    view! {
        <tr class="event">
            <td><time datetime=e.at.to_rfc3339()>{format::minute(e.at)}</time></td>
            <td>{e.actor}</td>
            <td class="action">{e.action.as_str()}</td>
            {(whose == Whose::Everyones).then(|| view! { <td>{e.account.unwrap_or_default()}</td> })}
            <td class="filename">{e.filename.unwrap_or_default()}</td>
            <td dir="auto">{e.details.unwrap_or_default()}</td>
        </tr>
    }
}
