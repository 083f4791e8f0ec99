//! The signed-in app: the sidebar (Conversations, Schedules, Activity, Account, and
//! Administration for admins), the
//! Conversations page with its toolbar, Available Exports (refreshed by itself), and the
//! Export dialog, whose exports this tab renders in the background while the user keeps
//! working.

use super::account::AccountPage;
use super::activity::ActivityPage;
use super::admin::AdministrationPage;
use super::available_exports::AvailableExports;
use super::conversations::ConversationList;
use super::export_dialog::ExportDialog;
use super::schedules::SchedulesPage;
use crate::api;
use crate::pipeline::{self, Outcome};
use crate::state::{Page, Rendered, Running, Toasts};
use convo_model::api::{CatalogLimits, ExportInfo, ExportStatus, Me};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Available Exports refreshes this often while something is processing, and else.
const REFRESH_BUSY_MS: u32 = 1_000;
const REFRESH_IDLE_MS: u32 = 10_000;

#[component]
pub fn Shell(me: Me, on_logout: impl Fn() + Copy + 'static) -> impl IntoView {
    let assistants = LocalResource::new(api::assistants);
    let selected = RwSignal::new(None::<String>);
    let exports = RwSignal::new(Vec::<ExportInfo>::new());
    // The catalog's limits, as the server says them with each list.
    let limits = RwSignal::new(None::<CatalogLimits>);
    provide_context(limits);
    let running = Running::new();
    let rendered = Rendered::new();
    provide_context(rendered);
    hand_over_when_the_tab_goes(running);
    pipeline::prepare();
    let dialog_open = RwSignal::new(false);
    let page = RwSignal::new(Page::from_location(&me));
    let pages = Page::for_account(&me);
    let alive = StoredValue::new(true);
    let toasts = expect_context::<Toasts>();
    provide_context(running);

    // Only when there is one to choose: setting `None` again would wake this effect
    // again, forever (an account with no assistant hung its tab so).
    Effect::new(move |_| {
        if selected.get().is_none()
            && let Some(Ok(list)) = assistants.get()
            && let Some(first) = list.assistants.first()
        {
            selected.set(Some(first.id.clone()));
        }
    });
    let refresh = move || {
        spawn_local(async move {
            if let Ok(list) = api::exports().await {
                limits.set(Some(list.limits));
                exports.set(list.exports);
            }
        });
    };
    spawn_local(async move {
        while alive.get_value() {
            if let Ok(list) = api::exports().await {
                limits.set(Some(list.limits));
                exports.set(list.exports);
            }
            let busy = exports.with_untracked(|e| e.iter().any(|x| x.status == ExportStatus::Processing));
            gloo_timers::future::TimeoutFuture::new(if busy { REFRESH_BUSY_MS } else { REFRESH_IDLE_MS }).await;
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
    let assistant_signal = Signal::derive(assistant_list);
    let me_page = me.clone();
    let on_started = move |export: ExportInfo| {
        exports.update(|list| list.insert(0, export.clone()));
        start_pipeline(export, exports, running, rendered, toasts);
    };
    view! {
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <p class="brand">"Convo Export"</p>
                {pages.into_iter().map(|p| view! {
                    <a href=p.hash() class="nav" aria-current=move || (page.get() == p).then_some("page") on:click=move |_| page.set(p)>{p.title()}</a>
                }).collect_view()}
                <div class="who">
                    <span title=me.name.clone()>{me.email.clone()}</span>
                    <button type="button" class="link" on:click=logout>"Log out"</button>
                </div>
            </nav>
            <main class="content">
                {move || match page.get() {
                    Page::Conversations => view! {
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
                            {move || selected.get().map(|id| view! { <ConversationList assistant=id on_started=on_started /> })}
                        </Transition>
                    }.into_any(),
                    Page::Schedules => view! { <SchedulesPage assistants=assistant_signal /> }.into_any(),
                    Page::Activity => view! { <ActivityPage /> }.into_any(),
                    Page::Account => view! { <AccountPage me=me_page.clone() /> }.into_any(),
                    Page::Administration => view! { <AdministrationPage me=me_page.clone() assistants=assistant_signal /> }.into_any(),
                }}
            </main>
        </div>
        <Show when=move || dialog_open.get()>
            <ExportDialog
                assistants=assistant_list()
                initial=selected.get_untracked()
                on_close=move || dialog_open.set(false)
                on_started=on_started
            />
        </Show>
    }
}

/// When the tab goes away mid-export, it hands its exports to the server at once (a
/// beacon, which the browser sends even as the page closes), instead of the server
/// waiting for them to go quiet.
fn hand_over_when_the_tab_goes(running: Running) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(window) = web_sys::window() else { return };
    let on_pagehide = Closure::<dyn Fn()>::new(move || {
        let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return };
        let body = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(r#"{"reason":"the tab that was rendering it was closed"}"#));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/json");
        for id in running.ids() {
            if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&body, &options) {
                let _ = navigator.send_beacon_with_opt_blob(&format!("/api/exports/{}/handover", api::encode(&id)), Some(&blob));
            }
        }
    });
    let _ = window.add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
    on_pagehide.forget();
}

/// Renders and uploads an export in the background while the user keeps working.
fn start_pipeline(export: ExportInfo, exports: RwSignal<Vec<ExportInfo>>, running: Running, rendered: Rendered, toasts: Toasts) {
    let (cancel, cancelled) = pipeline::cancel_pair();
    running.start(&export.id, cancel);
    let id = export.id.clone();
    let progress_id = id.clone();
    let filename = export.filename.clone();
    // Started here, not in the task: it tells the export worker at once.
    let exported = pipeline::run(export, cancelled, move |done| running.set_done(&progress_id, done));
    spawn_local(async move {
        let result = exported.await;
        running.finish(&id);
        match result {
            Ok(Outcome::Uploaded(info, blob)) => {
                toasts.show(format!("{} is ready.", info.filename));
                if let Some(blob) = blob {
                    rendered.keep(&info.id, blob);
                }
                exports.update(|list| {
                    if let Some(e) = list.iter_mut().find(|e| e.id == info.id) {
                        *e = *info;
                    }
                });
            }
            Ok(Outcome::Cancelled) => toasts.show(format!("{filename} was cancelled.")),
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
