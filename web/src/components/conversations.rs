//! The Conversations page's list: the selected assistant's completed conversations of
//! the last year, newest first, 25 at a time, searched by the words of their messages,
//! each opening to its thread (assistant answers in the export's own safe Markdown) and
//! each with a box to choose it; **Export selected** exports the chosen ones (at most
//! [`MAX_CHOSEN`], see docs/api.md `conversation_ids`).

use crate::api;
use crate::format;
use crate::state::Toasts;
use convo_model::api::{ExportInfo, Span};
use convo_model::{Conversation, ExportFilters, Format, MAX_CHOSEN, Redaction};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeSet;

fn range_for_list() -> (String, String) {
    let now = chrono::Utc::now();
    let from = now - chrono::Duration::days(365);
    (from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[component]
pub fn ConversationList(assistant: String, on_started: impl Fn(ExportInfo) + Copy + 'static) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let items = RwSignal::new(Vec::<Conversation>::new());
    let cursor = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    // The words searched for (as an export's text filter), and the conversations chosen:
    // a choice outlives a new search, so that one may search, tick, search again.
    let search = RwSignal::new(String::new());
    // The words the list shows now: "Load more" goes on with these, not with an edit
    // not yet searched for.
    let applied = RwSignal::new(String::new());
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    let export_error = RwSignal::new(None::<String>);
    let exporting = RwSignal::new(false);
    let (from, to) = range_for_list();
    let list_assistant = assistant.clone();
    let load = StoredValue::new(move || {
        let (assistant, from, to) = (list_assistant.clone(), from.clone(), to.clone());
        let filters = ExportFilters { text: Some(applied.get_untracked()).filter(|t| !t.trim().is_empty()), ..Default::default() };
        loading.set(true);
        spawn_local(async move {
            let after = cursor.get_untracked();
            let query = api::PageQuery {
                assistant: &assistant,
                from: &from,
                to: &to,
                cursor: after.as_deref(),
                newest_first: true,
                limit: Some(25),
                filters: &filters,
            };
            match api::conversations(&query).await {
                Ok(page) => {
                    error.set(None);
                    items.update(|list| list.extend(page.conversations));
                    done.set(page.next_cursor.is_none());
                    cursor.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.message)),
            }
            loading.set(false);
        });
    });
    load.with_value(|f| f());
    let run_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(search.get_untracked());
        items.set(Vec::new());
        cursor.set(None);
        load.with_value(|f| f());
    };
    let export_selected = move |_| {
        let ids: Vec<String> = chosen.get_untracked().into_iter().collect();
        if ids.len() > MAX_CHOSEN {
            export_error.set(Some(format!("Choose at most {MAX_CHOSEN} conversations, not {}.", ids.len())));
            return;
        }
        let assistant = assistant.clone();
        exporting.set(true);
        spawn_local(async move {
            let filters = ExportFilters { conversations: ids, ..Default::default() };
            match api::create_export(
                &assistant,
                Span::Chosen,
                filters,
                Format::Html,
                Redaction::default(),
                crate::format::browser_time_zone().parse().ok(),
            )
            .await
            {
                Ok(created) => {
                    export_error.set(None);
                    chosen.set(BTreeSet::new());
                    toasts.show(format!("Export started: {} will appear in Available Exports.", created.export.filename));
                    on_started(created.export);
                }
                Err(e) => export_error.set(Some(e.message)),
            }
            exporting.set(false);
        });
    };
    let count = move || chosen.with(BTreeSet::len);
    view! {
        <section class="conversations" aria-label="Completed conversations, newest first">
            <form class="conv-search" role="search" on:submit=run_search>
                <label for="conv-search">"Search the messages"</label>
                <input id="conv-search" type="search" autocomplete="off" maxlength="200"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                <button type="submit">"Search"</button>
            </form>
            <div class="selection-bar">
                <span id="chosen-count" aria-live="polite">{move || match count() {
                    0 => "No conversation chosen".to_string(),
                    1 => "1 conversation chosen".to_string(),
                    n => format!("{n} conversations chosen"),
                }}</span>
                <button type="button" class="primary" id="export-selected" aria-describedby="export-selected-error"
                    disabled=move || count() == 0 || exporting.get() on:click=export_selected>"Export selected"</button>
                <button type="button" id="clear-selected" disabled=move || count() == 0 on:click=move |_| chosen.set(BTreeSet::new())>"Clear"</button>
                <p class="field-error" id="export-selected-error" role="alert">{move || export_error.get()}</p>
            </div>
            <p class="field-error" role="alert">{move || error.get()}</p>
            <Show when=move || !loading.get() && items.with(Vec::is_empty)>
                <p class="empty">{move || if applied.with(|s| s.trim().is_empty()) {
                    "No completed conversations in the last year."
                } else {
                    "No completed conversation of the last year has these words."
                }}</p>
            </Show>
            <ul class="conv-list">
                <For each=move || items.get() key=|c| c.id.clone() children=move |c| view! { <ConversationRow conversation=c chosen=chosen /> } />
            </ul>
            <Show when=move || !done.get() && !items.with(Vec::is_empty)>
                <button type="button" on:click=move |_| load.with_value(|f| f()) disabled=move || loading.get()>"Load more"</button>
            </Show>
        </section>
    }
}

fn who(c: &Conversation) -> String {
    c.contact.as_ref().and_then(|ct| ct.name.clone().or_else(|| ct.email.clone())).unwrap_or_else(|| "Anonymous contact".into())
}

#[component]
fn ConversationRow(conversation: Conversation, chosen: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let c = conversation;
    let (id, toggle_id) = (c.id.clone(), c.id.clone());
    let is_chosen = move || chosen.with(|set| set.contains(&id));
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        chosen.update(|set| {
            if on {
                set.insert(toggle_id.clone());
            } else {
                set.remove(&toggle_id);
            }
        })
    };
    let title = who(&c);
    let when = format::minute(c.started_at);
    let pick_label = format!("Choose the conversation with {title} of {when}");
    let channel = c.channel.label().to_string();
    let count = c.messages.len();
    let summary = c.summary.clone();
    let messages = c.messages.clone();
    view! {
        <li class="conv-row">
            <input type="checkbox" class="pick" value=c.id.clone() aria-label=pick_label
                prop:checked=is_chosen on:change=toggle />
            <button type="button" class="row-head" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                <bdi class="who">{title}</bdi>
                <span class="meta">{channel}" · "{when}" · "{count}" messages"</span>
            </button>
            {summary.map(|s| view! { <p class="summary" dir="auto">{s}</p> })}
            <Show when=move || open.get()>
                <ol class="thread">
                    {messages.iter().map(|m| {
                        let role = if m.role == convo_model::Role::User { "Contact" } else { "Assistant" };
                        let class = if m.role == convo_model::Role::User { "msg user" } else { "msg bot" };
                        view! {
                            <li class=class>
                                <p class="msg-head"><b>{role}</b>" "<time datetime=m.at.to_rfc3339()>{format::minute(m.at)}</time></p>
                                {if m.role == convo_model::Role::User {
                                    view! { <p class="msg-body plain" dir="auto">{m.content.clone()}</p> }.into_any()
                                } else {
                                    // The export's own safe Markdown: raw HTML escaped, only http/https/mailto links.
                                    let mut html = String::new();
                                    convo_render::push_markdown(&mut html, &m.content);
                                    view! { <div class="msg-body" dir="auto" inner_html=html></div> }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </Show>
        </li>
    }
}
