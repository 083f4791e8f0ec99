//! The app: log in, a sidebar with Conversations, the Conversations page with its Export
//! button, the Export dialog, and Available Exports.

use crate::api::{self, ApiError};
use crate::pipeline::{self, Cancel, Outcome};
use convo_model::api::{AssistantRef, ExportInfo, ExportPreview, ExportStatus, Renderer};
use convo_model::{Conversation, Days};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;

#[derive(Clone, Copy)]
struct Toasts(RwSignal<Vec<(u32, String)>>);

impl Toasts {
    fn show(&self, message: impl Into<String>) {
        let id = (js_sys::Math::random() * 1e9) as u32;
        self.0.update(|t| t.push((id, message.into())));
        let list = self.0;
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(6_000).await;
            list.update(|t| t.retain(|(i, _)| *i != id));
        });
    }
}

#[component]
pub fn App() -> impl IntoView {
    let me = RwSignal::new(None::<Option<String>>);
    spawn_local(async move {
        let who = api::me().await.ok().and_then(|v| v["email"].as_str().map(str::to_string));
        me.set(Some(who));
    });
    let toasts = Toasts(RwSignal::new(Vec::new()));
    provide_context(toasts);
    view! {
        {move || match me.get() {
            None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
            Some(None) => view! { <Login on_login=move |email| me.set(Some(Some(email))) /> }.into_any(),
            Some(Some(email)) => view! { <Shell email=email on_logout=move || me.set(Some(None)) /> }.into_any(),
        }}
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.0.get() key=|(id, _)| *id children=|(_, text)| view! { <p class="toast">{text}</p> } />
        </div>
    }
}

#[component]
fn Login(on_login: impl Fn(String) + Copy + 'static) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match api::login(&email.get_untracked(), &password.get_untracked()).await {
                Ok(v) => on_login(v["email"].as_str().unwrap_or_default().to_string()),
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

/// Exports this tab is rendering, so Available Exports can show their live progress.
#[derive(Clone, Copy)]
struct Running(RwSignal<HashMap<String, (i64, Cancel)>>);

#[component]
fn Shell(email: String, on_logout: impl Fn() + Copy + 'static) -> impl IntoView {
    let assistants = LocalResource::new(|| api::assistants());
    let selected = RwSignal::new(None::<String>);
    let exports = RwSignal::new(Vec::<ExportInfo>::new());
    let running = Running(RwSignal::new(HashMap::new()));
    let dialog_open = RwSignal::new(false);
    let alive = StoredValue::new(true);
    let toasts = use_context::<Toasts>().expect("toasts are provided by App");
    provide_context(running);

    Effect::new(move |_| {
        if selected.get().is_none() {
            if let Some(Ok(list)) = assistants.get() {
                selected.set(list.assistants.first().map(|a| a.id.clone()));
            }
        }
    });
    let refresh = move || {
        spawn_local(async move {
            if let Ok(list) = api::exports().await {
                exports.set(list.exports);
            }
        });
    };
    // Refreshes by itself: every second while something is processing, else every 10 s.
    spawn_local(async move {
        while alive.get_value() {
            if let Ok(list) = api::exports().await {
                exports.set(list.exports);
            }
            let busy = exports.with_untracked(|e| e.iter().any(|x| x.status == ExportStatus::Processing));
            gloo_timers::future::TimeoutFuture::new(if busy { 1_000 } else { 10_000 }).await;
        }
    });
    on_cleanup(move || alive.set_value(false));

    let logout = move |_| {
        spawn_local(async move {
            let _ = api::logout().await;
            on_logout();
        });
    };
    let assistant_list = move || assistants.get().and_then(Result::ok).map(|l| l.assistants).unwrap_or_default();
    view! {
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <p class="brand">"Convo Export"</p>
                <a href="/" aria-current="page">"Conversations"</a>
                <div class="who">
                    <span>{email}</span>
                    <button type="button" class="link" on:click=logout>"Log out"</button>
                </div>
            </nav>
            <main class="content">
                <header class="toolbar">
                    <h1>"Conversations"</h1>
                    <label for="assistant-filter" class="sr-only">"Assistant"</label>
                    <select id="assistant-filter" on:change=move |ev| selected.set(Some(event_target_value(&ev)))>
                        {move || assistant_list().into_iter().map(|a| {
                            let id = a.id.clone();
                            view! { <option value=a.id.clone() selected=move || selected.get().as_deref() == Some(id.as_str())>{a.name}</option> }
                        }).collect_view()}
                    </select>
                    <button type="button" class="primary" id="export-button" on:click=move |_| dialog_open.set(true)>
                        <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18"><path d="M12 3v12m0 0l-5-5m5 5l5-5M4 19h16" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>
                        " Export"
                    </button>
                </header>
                <AvailableExports exports=exports refresh=refresh />
                <h2 class="list-h">"Completed conversations"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || selected.get().map(|id| view! { <ConversationList assistant=id /> })}
                </Transition>
            </main>
        </div>
        <Show when=move || dialog_open.get()>
            <ExportDialog
                assistants=assistant_list()
                initial=selected.get_untracked()
                on_close=move || dialog_open.set(false)
                on_started=move |export: ExportInfo| {
                    exports.update(|list| list.insert(0, export.clone()));
                    start_pipeline(export, exports, running, toasts);
                }
            />
        </Show>
    }
}

/// Renders and uploads an export in the background while the user keeps working.
fn start_pipeline(export: ExportInfo, exports: RwSignal<Vec<ExportInfo>>, running: Running, toasts: Toasts) {
    let cancel = Cancel::default();
    running.0.update(|m| {
        m.insert(export.id.clone(), (0, cancel.clone()));
    });
    spawn_local(async move {
        let id = export.id.clone();
        let progress_id = id.clone();
        let filename = export.filename.clone();
        let result = pipeline::run(export, cancel, move |done| {
            running.0.update(|m| {
                if let Some(entry) = m.get_mut(&progress_id) {
                    entry.0 = done;
                }
            })
        })
        .await;
        running.0.update(|m| {
            m.remove(&id);
        });
        match result {
            Ok(Outcome::Uploaded(info)) => {
                toasts.show(format!("{} is ready.", info.filename));
                exports.update(|list| {
                    if let Some(e) = list.iter_mut().find(|e| e.id == info.id) {
                        *e = info;
                    }
                });
            }
            Ok(Outcome::Cancelled) => toasts.show(format!("{filename} was cancelled.")),
            Ok(Outcome::TooBigForTheBrowser(reason)) => match api::hand_over(&id, &reason).await {
                Ok(_) => toasts.show(format!("{filename} is too big for this browser: the server is finishing it.")),
                Err(e) if e.status == 409 => {}
                Err(e) => {
                    let _ = api::report_failure(&id, &reason).await;
                    toasts.show(format!("{filename} failed: {}", e.message));
                }
            },
            Err(e) if e.status == 409 => {}
            Err(e) => {
                let _ = api::report_failure(&id, &e.message).await;
                toasts.show(format!("{filename} failed: {}", e.message));
            }
        }
        if let Ok(list) = api::exports().await {
            exports.set(list.exports);
        }
    });
}

fn range_for_list() -> (String, String) {
    let now = chrono::Utc::now();
    let from = now - chrono::Duration::days(365);
    (from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[component]
fn ConversationList(assistant: String) -> impl IntoView {
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
                messages: None,
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
    c.contact
        .as_ref()
        .and_then(|ct| ct.name.clone().or_else(|| ct.email.clone()))
        .unwrap_or_else(|| "Anonymous contact".into())
}

#[component]
fn ConversationRow(conversation: Conversation) -> impl IntoView {
    let open = RwSignal::new(false);
    let c = conversation;
    let title = who(&c);
    let when = c.started_at.format("%Y-%m-%d %H:%M UTC").to_string();
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
                                <p class="msg-head"><b>{role}</b>" "<time datetime=m.at.to_rfc3339()>{m.at.format("%Y-%m-%d %H:%M UTC").to_string()}</time></p>
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

#[component]
fn ExportDialog(
    assistants: Vec<AssistantRef>,
    initial: Option<String>,
    on_close: impl Fn() + Copy + 'static,
    on_started: impl Fn(ExportInfo) + Copy + 'static,
) -> impl IntoView {
    let toasts = use_context::<Toasts>().expect("toasts");
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let assistant = RwSignal::new(initial.or_else(|| assistants.first().map(|a| a.id.clone())).unwrap_or_default());
    let days_text = RwSignal::new("30".to_string());
    let days = Memo::new(move |_| Days::parse(&days_text.get()));
    let preview = RwSignal::new(None::<Result<ExportPreview, ApiError>>);
    let submitting = RwSignal::new(false);
    let submit_error = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            if !d.open() {
                let _ = d.show_modal();
            }
        }
    });
    // What will be included, and what will be deleted to make room.
    Effect::new(move |_| {
        let (a, d) = (assistant.get(), days.get());
        preview.set(None);
        if let (false, Ok(d)) = (a.is_empty(), d) {
            spawn_local(async move {
                let result = api::preview(&a, d.get()).await;
                if assistant.get_untracked() == a && days.get_untracked() == Ok(d) {
                    preview.set(Some(result));
                }
            });
        }
    });
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(d) = days.get_untracked() else { return };
        submitting.set(true);
        let a = assistant.get_untracked();
        spawn_local(async move {
            match api::create_export(&a, d.get()).await {
                Ok(created) => {
                    let mut message = format!("Export started: {} will appear in Available Exports.", created.export.filename);
                    for gone in &created.evicted {
                        message.push_str(&format!(" {} was deleted to make room.", gone.filename));
                    }
                    toasts.show(message);
                    on_started(created.export);
                    on_close();
                }
                Err(e) => submit_error.set(Some(e.message)),
            }
            submitting.set(false);
        });
    };
    let options = assistants.clone();
    view! {
        <dialog node_ref=dialog class="export-dialog" aria-labelledby="export-h" on:close=move |_| on_close()>
            <form method="dialog" on:submit=start>
                <h2 id="export-h">"Export conversations"</h2>
                <label for="export-assistant">"Assistant"</label>
                <select id="export-assistant" on:change=move |ev| assistant.set(event_target_value(&ev))>
                    {options.into_iter().map(|a| {
                        let id = a.id.clone();
                        view! { <option value=a.id.clone() selected=move || assistant.get() == id>{a.name}" ("{a.id.clone()}")"</option> }
                    }).collect_view()}
                </select>
                <label for="export-days">"Time range (days)"</label>
                <div class="days">
                    <input id="export-days" type="text" inputmode="numeric" autocomplete="off"
                        aria-describedby="days-help days-error" aria-invalid=move || days.get().is_err().to_string()
                        prop:value=move || days_text.get() on:input=move |ev| days_text.set(event_target_value(&ev)) />
                    {Days::QUICK_PICKS.into_iter().map(|n| view! {
                        <button type="button" class="pick" aria-pressed=move || (days_text.get().trim() == n.to_string()).to_string()
                            on:click=move |_| days_text.set(n.to_string())>{n}</button>
                    }).collect_view()}
                </div>
                <p id="days-help" class="help">"A whole number from 1 to 365: 7 is the last week, 30 the last month, 90 the last quarter."</p>
                <p id="days-error" class="field-error" role="alert">{move || days.get().err().map(|e| e.to_string())}</p>
                <div class="preview" aria-live="polite">
                    {move || match preview.get() {
                        None => view! { <p class="help">"Counting…"</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="field-error">{e.message}</p> }.into_any(),
                        Some(Ok(p)) => view! {
                            <p id="export-includes">{format!(
                                "Includes {} completed conversation{} ({} messages) that started from {} to {}.",
                                p.totals.conversations, if p.totals.conversations == 1 { "" } else { "s" }, p.totals.messages,
                                p.range.from.format("%Y-%m-%d %H:%M UTC"), p.range.to.format("%Y-%m-%d %H:%M UTC"))}</p>
                            {p.evicts.map(|e| view! {
                                <p id="export-evicts" class="warning">{format!("You have 20 exports: the oldest, {}, will be deleted to make room.", e.filename)}</p>
                            })}
                        }.into_any(),
                    }}
                </div>
                <p class="field-error" role="alert">{move || submit_error.get()}</p>
                <div class="actions">
                    <button type="button" on:click=move |_| on_close()>"Cancel"</button>
                    <button type="submit" class="primary" id="start-export" disabled=move || days.get().is_err() || submitting.get()>"Start Export"</button>
                </div>
            </form>
        </dialog>
    }
}

fn human_size(n: i64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.0} kB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

fn expires_in(e: &ExportInfo) -> String {
    let left = e.expires_at - chrono::Utc::now();
    match left.num_days() {
        d if d >= 2 => format!("expires in {d} days"),
        1 => "expires tomorrow".into(),
        _ => format!("expires in {} hours", left.num_hours().max(0)),
    }
}

/// Saves a Blob under `filename` through an object URL that is revoked afterwards.
fn save_blob(blob: &web_sys::Blob, filename: &str) {
    use wasm_bindgen::JsCast;
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else { return };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(a) = document.as_ref().and_then(|d| d.create_element("a").ok()).and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
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

#[component]
fn AvailableExports(exports: RwSignal<Vec<ExportInfo>>, refresh: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <section class="exports" aria-labelledby="exports-h">
            <header class="section-head">
                <h2 id="exports-h">"Available Exports"</h2>
                <button type="button" on:click=move |_| refresh()>"Refresh"</button>
            </header>
            <Show when=move || !exports.with(Vec::is_empty) fallback=|| view! { <p class="empty">"No exports yet: use Export to create one."</p> }>
                <table class="export-table">
                    <thead><tr>
                        <th scope="col">"Filename"</th><th scope="col">"Created"</th><th scope="col">"Assistant"</th>
                        <th scope="col">"Size"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th>
                    </tr></thead>
                    <tbody>
                        <For each=move || exports.get() key=|e| (e.id.clone(), e.status, e.progress.done) children=move |e| view! { <ExportRow export=e exports=exports /> } />
                    </tbody>
                </table>
            </Show>
        </section>
    }
}

#[component]
fn ExportRow(export: ExportInfo, exports: RwSignal<Vec<ExportInfo>>) -> impl IntoView {
    let toasts = use_context::<Toasts>().expect("toasts");
    let running = use_context::<Running>().expect("running");
    let confirming = RwSignal::new(false);
    let e = export.clone();
    let id = e.id.clone();
    let local = {
        let id = id.clone();
        move || running.0.with(|m| m.get(&id).map(|(done, _)| *done))
    };
    let total = e.progress.total.max(1);
    let server_done = e.progress.done;
    let status = e.status;
    let error = e.error.clone().unwrap_or_default();
    let renderer = e.renderer;
    let status_view = move || match status {
        ExportStatus::Ready => view! { <span class="badge ok">"Ready"</span> }.into_any(),
        ExportStatus::Failed => view! { <span class="badge bad">"Failed: "{error.clone()}</span> }.into_any(),
        ExportStatus::Processing => {
            let done = local().unwrap_or(server_done).min(total);
            let pct = done * 100 / total;
            let by = if renderer == Renderer::Server { " (on the server)" } else { "" };
            view! {
                <span class="processing">
                    <progress max="100" value=pct.to_string() aria-label="Export progress"></progress>
                    " Processing "{pct}"%"{by}
                </span>
            }
            .into_any()
        }
    };
    let download = {
        let (id, filename) = (e.id.clone(), e.filename.clone());
        move |_| {
            let (id, filename) = (id.clone(), filename.clone());
            spawn_local(async move {
                match api::download(&id).await {
                    Ok(blob) => save_blob(&blob, &filename),
                    Err(e) => toasts.show(format!("Download failed: {}", e.message)),
                }
            });
        }
    };
    let delete = {
        let id = e.id.clone();
        move |_| {
            let id = id.clone();
            if let Some((_, cancel)) = running.0.with_untracked(|m| m.get(&id).cloned()) {
                cancel.cancel();
            }
            spawn_local(async move {
                match api::delete_export(&id).await {
                    Ok(()) => {
                        exports.update(|list| list.retain(|x| x.id != id));
                        toasts.show("Export deleted.");
                    }
                    Err(e) => toasts.show(format!("Delete failed: {}", e.message)),
                }
            });
        }
    };
    let ready = status == ExportStatus::Ready;
    view! {
        <tr class="export-row" data-id=e.id.clone()>
            <td class="filename">{e.filename.clone()}</td>
            <td><time datetime=e.created_at.to_rfc3339()>{e.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</time></td>
            <td><span class="badge assistant" title=e.assistant.id.clone()>{e.assistant.name.clone()}</span></td>
            <td>{e.size_bytes.map(human_size).unwrap_or_else(|| "—".into())}</td>
            <td>{status_view}<br/><span class="help">{expires_in(&e)}</span></td>
            <td class="actions">
                <Show when=move || !confirming.get() fallback=move || {
                    let delete = delete.clone();
                    view! {
                        <span class="confirm" role="group" aria-label="Confirm delete">
                            "Delete permanently? "
                            <button type="button" class="danger confirm-delete" on:click=delete>"Delete"</button>
                            <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </span>
                    }
                }>
                    <button type="button" class="download" disabled=!ready on:click=download.clone()>"Download"</button>
                    <a class="button open" href=e.open_url.clone() target="_blank" rel="noopener noreferrer" aria-disabled=(!ready).to_string()>"Open"</a>
                    <button type="button" class="delete" on:click=move |_| confirming.set(true)>
                        <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16"><path d="M4 7h16M9 7V4h6v3m-8 0l1 13h8l1-13" fill="none" stroke="currentColor" stroke-width="2"/></svg>
                        " Delete"
                    </button>
                </Show>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    fn by_id<T: JsCast>(id: &str) -> T {
        web_sys::window().unwrap().document().unwrap().get_element_by_id(id).unwrap_or_else(|| panic!("no #{id}")).unchecked_into()
    }

    #[wasm_bindgen_test]
    async fn the_export_dialog_refuses_bad_days_next_to_the_field() {
        let document = web_sys::window().unwrap().document().unwrap();
        let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
        document.body().unwrap().append_child(&host).unwrap();
        let closed = RwSignal::new(false);
        let _mounted = leptos::mount::mount_to(host, move || {
            provide_context(Toasts(RwSignal::new(Vec::new())));
            let assistants = vec![AssistantRef { id: "support-bot".into(), name: "Support Bot".into() }];
            view! { <ExportDialog assistants=assistants initial=None on_close=move || closed.set(true) on_started=|_| {} /> }
        });
        leptos::task::tick().await;
        let dialog: web_sys::HtmlDialogElement = document.query_selector("dialog.export-dialog").unwrap().unwrap().unchecked_into();
        assert!(dialog.open(), "the dialog opens as a modal");
        let input: web_sys::HtmlInputElement = by_id("export-days");
        let start: web_sys::HtmlButtonElement = by_id("start-export");
        assert_eq!(input.value(), "30");
        assert!(!start.disabled());
        for (value, message) in [
            ("0", "The time range must be from 1 to 365 days."),
            ("366", "The time range must be from 1 to 365 days."),
            ("2.5", "is not a whole number of days"),
            ("", "Enter a number of days from 1 to 365."),
        ] {
            input.set_value(value);
            input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
            leptos::task::tick().await;
            let error = by_id::<web_sys::HtmlElement>("days-error").text_content().unwrap_or_default();
            assert!(error.contains(message), "{value:?}: {error:?}");
            assert!(start.disabled(), "Start Export stays off for {value:?}");
            assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
        }
        // A quick pick fixes it.
        let picks = document.query_selector_all("button.pick").unwrap();
        assert_eq!(picks.length(), 3, "quick picks 7, 30, 90");
        let pick: web_sys::HtmlButtonElement = picks.get(0).unwrap().unchecked_into();
        assert_eq!(pick.text_content().as_deref(), Some("7"));
        pick.click();
        leptos::task::tick().await;
        gloo_timers::future::TimeoutFuture::new(0).await;
        assert_eq!(input.value(), "7");
        assert_eq!(by_id::<web_sys::HtmlElement>("days-error").text_content().unwrap_or_default(), "");
        assert!(!start.disabled());
        // Cancel closes the dialog.
        let cancel: web_sys::HtmlButtonElement =
            document.query_selector(".export-dialog .actions button[type=button]").unwrap().unwrap().unchecked_into();
        cancel.click();
        leptos::task::tick().await;
        assert!(closed.get_untracked());
    }
}
