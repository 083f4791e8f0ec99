//! The Conversations page's list: the selected assistant's completed conversations of
//! the last year, newest first, 25 at a time, each opening to its thread (assistant
//! answers in the export's own safe Markdown).

use crate::api;
use crate::format;
use convo_model::Conversation;
use leptos::prelude::*;
use leptos::task::spawn_local;

fn range_for_list() -> (String, String) {
    let now = chrono::Utc::now();
    let from = now - chrono::Duration::days(365);
    (from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[component]
pub fn ConversationList(assistant: String) -> impl IntoView {
    let items = RwSignal::new(Vec::<Conversation>::new());
    let cursor = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let (from, to) = range_for_list();
    let load = StoredValue::new(move || {
        let (assistant, from, to) = (assistant.clone(), from.clone(), to.clone());
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
            };
            match api::conversations(&query).await {
                Ok(page) => {
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
    view! {
        <section class="conversations" aria-label="Completed conversations, newest first">
            <p class="field-error" role="alert">{move || error.get()}</p>
            <Show when=move || !loading.get() && items.with(Vec::is_empty)>
                <p class="empty">"No completed conversations in the last year."</p>
            </Show>
            <ul class="conv-list">
                <For each=move || items.get() key=|c| c.id.clone() children=|c| view! { <ConversationRow conversation=c /> } />
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
fn ConversationRow(conversation: Conversation) -> impl IntoView {
    let open = RwSignal::new(false);
    let c = conversation;
    let title = who(&c);
    let when = format::minute(c.started_at);
    let channel = c.channel.label().to_string();
    let count = c.messages.len();
    let summary = c.summary.clone();
    let messages = c.messages.clone();
    view! {
        <li class="conv-row">
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
