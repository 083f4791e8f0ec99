//! Available Exports: the account's catalog, newest first, with live progress (this
//! tab's own, else the server's), expiry, and Download, Download encrypted…, Open and
//! Delete (which asks first).

use super::confirm_delete::ConfirmDelete;
use super::encrypt_dialog::DownloadEncrypted;
use crate::api;
use crate::format;
use crate::save::save_blob;
use crate::state::{Rendered, Running, Toasts};
use convo_model::api::{CatalogLimits, ExportInfo, ExportStatus, Renderer, Verification};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn AvailableExports(exports: RwSignal<Vec<ExportInfo>>, refresh: impl Fn() + Copy + 'static) -> impl IntoView {
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
                        <For each=move || exports.get() key=|e| (e.id.clone(), e.status, e.progress.done, e.waiting, e.held, e.verification) children=move |e| view! { <ExportRow export=e exports=exports /> } />
                    </tbody>
                </table>
            </Show>
        </section>
    }
}

#[component]
fn ExportRow(export: ExportInfo, exports: RwSignal<Vec<ExportInfo>>) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let running = expect_context::<Running>();
    let rendered = expect_context::<Rendered>();
    let confirming = RwSignal::new(false);
    let e = export.clone();
    let id = e.id.clone();
    let local = {
        let id = id.clone();
        move || running.done(&id)
    };
    let total = e.progress.total.max(1);
    let server_done = e.progress.done;
    let status = e.status;
    let error = e.error.clone().unwrap_or_default();
    let renderer = e.renderer;
    let waiting = e.waiting;
    let (verification, note) = (e.verification, e.verification_note.clone().unwrap_or_default());
    let status_view = move || match status {
        ExportStatus::Ready => {
            let checked = match verification {
                Some(Verification::Verified) => view! {
                    <span class="help verified" title="The server rendered this export again from its own data: the same bytes. Receipts vouch for it.">"Verified"</span>
                }
                .into_any(),
                Some(Verification::Mismatch) => view! {
                    <span class="badge bad mismatch" title=note.clone()>"Not reproduced: no receipt"</span>
                }
                .into_any(),
                _ => view! { <span class="help verifying">"Being verified\u{2026}"</span> }.into_any(),
            };
            view! { <span class="badge ok">"Ready"</span>" "{checked} }.into_any()
        }
        ExportStatus::Failed => view! { <span class="badge bad">"Failed: "{error.clone()}</span> }.into_any(),
        ExportStatus::Processing if waiting => view! {
            <span class="processing waiting">"Waiting for the server: other exports are rendering"</span>
        }
        .into_any(),
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
    // Download is a real link to the file (the server names it; "Save link as" works);
    // a file this tab just rendered and still holds is saved without a round trip.
    let download = {
        let (id, filename) = (e.id.clone(), e.filename.clone());
        move |ev: leptos::ev::MouseEvent| {
            if let Some(blob) = rendered.get(&id) {
                ev.prevent_default();
                save_blob(&blob, &filename);
            }
        }
    };
    let delete = {
        let id = e.id.clone();
        move |_| {
            let id = id.clone();
            running.cancel(&id);
            spawn_local(async move {
                match api::delete_export(&id).await {
                    Ok(()) => {
                        rendered.forget(&id);
                        exports.update(|list| list.retain(|x| x.id != id));
                        toasts.show("Export deleted.");
                    }
                    Err(e) => toasts.show(format!("Delete failed: {}", e.message)),
                }
            });
        }
    };
    let keep = {
        let (id, held) = (e.id.clone(), e.held);
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                let answer = if held { api::release(&id).await } else { api::hold(&id).await };
                match answer {
                    Ok(info) => exports.update(|list| {
                        if let Some(x) = list.iter_mut().find(|x| x.id == info.id) {
                            *x = info;
                        }
                    }),
                    Err(e) => toasts.show(format!("Keep failed: {}", e.message)),
                }
            });
        }
    };
    let ready = status == ExportStatus::Ready;
    let expiry = if e.held {
        view! { <span class="help kept">"Kept: never expires"</span> }.into_any()
    } else if format::expires_soon(&e) {
        view! { <span class="warning expiring">"\u{26a0} "{format::expires_in(&e)}</span> }.into_any()
    } else {
        view! { <span class="help">{format::expires_in(&e)}</span> }.into_any()
    };
    let about = {
        let mut notes = Vec::new();
        if !e.filters.is_empty() {
            notes.push(format!("Filters: {}", e.filters.describe()));
        }
        if e.previous.is_some() {
            notes.push("Continues the previous export".to_string());
        }
        if e.schedule_id.is_some() {
            notes.push("Scheduled".to_string());
        }
        (!notes.is_empty()).then(|| notes.join(" · "))
    };
    let held = e.held;
    let limits = use_context::<RwSignal<Option<CatalogLimits>>>();
    let keep_help = move || {
        let most = limits.and_then(|l| l.get()).map(|l| format!(" (at most {})", l.max_held)).unwrap_or_default();
        format!("A kept export is neither deleted to make room nor expired{most}")
    };
    let for_sealing = e.clone();
    view! {
        <tr class="export-row" data-id=e.id.clone()>
            <td class="filename">{e.filename.clone()}{about.map(|a| view! { <br/><span class="help about">{a}</span> })}</td>
            <td><time datetime=e.created_at.to_rfc3339()>{format::minute(e.created_at)}</time></td>
            <td><span class="badge assistant" title=e.assistant.id.clone()>{e.assistant.name.clone()}</span></td>
            <td>{e.size_bytes.map(format::size).unwrap_or_else(|| "—".into())}</td>
            <td>{status_view}<br/>{expiry}</td>
            <td class="actions">
                <ConfirmDelete question="Delete permanently?" confirming=confirming on_delete=Callback::new(delete)>
                    <a class="button download" href=e.content_url.clone() download=e.filename.clone() aria-disabled=(!ready).to_string()
                        on:click=download.clone()>"Download"</a>
                    // Only a page can decrypt itself: JSON Lines, CSV and Markdown are not sealed.
                    {for_sealing.format.is_html().then(|| view! { <DownloadEncrypted export=for_sealing.clone() /> })}
                    <a class="button open" href=e.open_url.clone() target="_blank" rel="noopener noreferrer" aria-disabled=(!ready).to_string()>"Open"</a>
                    <button type="button" class="keep" aria-pressed=held.to_string() on:click=keep.clone()
                        title=keep_help>{if held { "Kept" } else { "Keep" }}</button>
                    <button type="button" class="delete" on:click=move |_| confirming.set(true)>
                        <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16"><path d="M4 7h16M9 7V4h6v3m-8 0l1 13h8l1-13" fill="none" stroke="currentColor" stroke-width="2"/></svg>
                        " Delete"
                    </button>
                </ConfirmDelete>
            </td>
        </tr>
    }
}
