//! The Export dialog: one assistant, a range of 1–365 days (quick picks 7, 30, 90, and
//! "since last export" when there is one to continue; bad input refused next to the
//! field before anything is sent), optional filters, the file's format and what it
//! masks, what the export will include and what it will delete to make room, and Start
//! Export.

use super::filter_fields::FilterFields;
use super::sharing_fields::SharingFields;
use crate::api;
use crate::format;
use crate::state::Toasts;
use convo_model::api::Span;
use convo_model::api::{AssistantRef, ExportInfo, ExportPreview};
use convo_model::{Days, ExportFilters, Format, Redaction, TimeZone};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ExportDialog(
    assistants: Vec<AssistantRef>,
    initial: Option<String>,
    on_close: impl Fn() + Copy + 'static,
    on_started: impl Fn(ExportInfo) + Copy + 'static,
) -> impl IntoView {
    let toasts = expect_context::<Toasts>();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let assistant = RwSignal::new(initial.or_else(|| assistants.first().map(|a| a.id.clone())).unwrap_or_default());
    let days_text = RwSignal::new("30".to_string());
    let since_last = RwSignal::new(false);
    let filters = RwSignal::new(ExportFilters::default());
    let format = RwSignal::new(Format::Html);
    let redaction = RwSignal::new(Redaction::default());
    let zone_text = RwSignal::new(format::browser_time_zone());
    let zone = Memo::new(move |_| zone_text.get().parse::<TimeZone>());
    let days = Memo::new(move |_| Days::parse(&days_text.get()));
    let span = Memo::new(move |_| if since_last.get() { Ok(Span::SinceLast) } else { days.get().map(Span::Days) });
    // What will be included, and what will be deleted to make room: asked again whenever
    // the assistant, a valid span or the filters change (nothing is asked for bad days).
    let preview = LocalResource::new(move || {
        let (a, s, f, r) = (assistant.get(), span.get(), filters.get(), redaction.get());
        async move {
            match s {
                Ok(s) if !a.is_empty() => api::preview(&a, s, &f, &r).await.map(Some),
                _ => Ok(None),
            }
        }
    });
    // Where a since-last export would start, from the latest preview.
    let continues = move || preview.get().and_then(Result::ok).flatten().and_then(|p| p.since_last);
    let submitting = RwSignal::new(false);
    let submit_error = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if let Some(d) = dialog.get()
            && !d.open()
        {
            let _ = d.show_modal();
        }
    });
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(s), Ok(zone)) = (span.get_untracked(), zone.get_untracked()) else { return };
        submitting.set(true);
        let (a, f) = (assistant.get_untracked(), filters.get_untracked());
        let (format, redact) = (format.get_untracked(), redaction.get_untracked());
        spawn_local(async move {
            match api::create_export(&a, s, f, format, redact, Some(zone)).await {
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
                <select id="export-assistant" on:change=move |ev| { since_last.set(false); assistant.set(event_target_value(&ev)) }>
                    {options.into_iter().map(|a| {
                        let id = a.id.clone();
                        view! { <option value=a.id.clone() selected=move || assistant.get() == id>{a.name}" ("{a.id.clone()}")"</option> }
                    }).collect_view()}
                </select>
                <label for="export-days">"Time range (days)"</label>
                <div class="days">
                    <input id="export-days" type="text" inputmode="numeric" autocomplete="off"
                        aria-describedby="days-help days-error" aria-invalid=move || (!since_last.get() && days.get().is_err()).to_string()
                        prop:value=move || if since_last.get() { String::new() } else { days_text.get() }
                        on:input=move |ev| { since_last.set(false); days_text.set(event_target_value(&ev)) } />
                    {Days::QUICK_PICKS.into_iter().map(|n| view! {
                        <button type="button" class="pick" aria-pressed=move || (!since_last.get() && days_text.get().trim() == n.to_string()).to_string()
                            on:click=move |_| { since_last.set(false); days_text.set(n.to_string()) }>{n}</button>
                    }).collect_view()}
                    {move || continues().map(|c| view! {
                        <button type="button" class="pick since-last" id="since-last" aria-pressed=move || since_last.get().to_string()
                            title=format!("Continues export {} without a gap", c.previous.id)
                            on:click=move |_| since_last.set(true)>{format!("Since last export: {}", format::plural(c.days, "day"))}</button>
                    })}
                </div>
                <p id="days-help" class="help">"A whole number from 1 to 365: 7 is the last week, 30 the last month, 90 the last quarter."</p>
                <p id="days-error" class="field-error" role="alert">{move || (!since_last.get()).then(|| days.get().err().map(|e| e.to_string())).flatten()}</p>
                <label for="export-zone">"Time zone"</label>
                <input id="export-zone" type="text" autocomplete="off" aria-describedby="zone-help zone-error"
                    aria-invalid=move || zone.get().is_err().to_string()
                    prop:value=move || zone_text.get() on:input=move |ev| zone_text.set(event_target_value(&ev)) />
                <p id="zone-help" class="help">"The file shows every time in this IANA zone (yours by default), with its offset."</p>
                <p id="zone-error" class="field-error" role="alert">{move || zone.get().err()}</p>
                <FilterFields prefix="export" filters=filters />
                <SharingFields prefix="export" format=format redaction=redaction />
                <div class="preview" aria-live="polite">
                    <Transition fallback=|| view! { <p class="help">"Counting…"</p> }>
                        <ErrorBoundary fallback=|errors| view! {
                            <p class="field-error">{move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join(" ")}</p>
                        }>
                            {move || Suspend::new(async move { preview.await.map(|p| p.map(|p| view! { <PreviewText preview=p /> })) })}
                        </ErrorBoundary>
                    </Transition>
                </div>
                <p class="field-error" role="alert">{move || submit_error.get()}</p>
                <div class="actions">
                    <button type="button" on:click=move |_| on_close()>"Cancel"</button>
                    <button type="submit" class="primary" id="start-export" disabled=move || span.get().is_err() || zone.get().is_err() || submitting.get()>"Start Export"</button>
                </div>
            </form>
        </dialog>
    }
}

/// What the export will include, and which export it will delete to make room.
#[component]
fn PreviewText(preview: ExportPreview) -> impl IntoView {
    let p = preview;
    view! {
        <p id="export-includes">{format!(
            "Includes {} ({}) that started from {} to {}.",
            format::plural(p.totals.conversations, "completed conversation"), format::plural(p.totals.messages, "message"),
            format::minute(p.range.from), format::minute(p.range.to))}</p>
        {p.redacted.map(|r| view! {
            <p id="export-redacts">{format!(
                "Redaction would mask {}{}: {} emails, {} phone numbers, {} cards, {} IBANs, {} IP addresses, {} names.",
                if r.complete { "" } else { "at least " },
                match r.tally.total() { 1 => "1 match".to_string(), n => format!("{n} matches") },
                r.tally.emails, r.tally.phones, r.tally.cards, r.tally.ibans, r.tally.ips, r.tally.names)}</p>
        })}
        {p.evicts.map(|e| view! {
            <p id="export-evicts" class="warning">{format!("You have {} exports: the oldest, {}, will be deleted to make room.", p.limits.max_exports, e.filename)}</p>
        })}
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
            provide_context(Toasts::new());
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
