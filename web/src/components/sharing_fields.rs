//! How an export or a schedule's exports are shared: the file's format, and what they
//! mask (kinds, names, contacts as pseudonyms). The masking is `convo-render`'s.

use convo_model::{Contacts, Format, RedactedKind, Redaction};
use leptos::prelude::*;

/// The format and redaction fields; `prefix` keeps their ids apart on one page.
#[component]
pub fn SharingFields(prefix: &'static str, format: RwSignal<Format>, redaction: RwSignal<Redaction>) -> impl IntoView {
    let names_text = RwSignal::new(String::new());
    view! {
        <label for=format!("{prefix}-format")>"Format"</label>
        <select id=format!("{prefix}-format") on:change=move |ev| {
            if let Ok(f) = event_target_value(&ev).parse() { format.set(f) }
        }>
            {Format::ALL.into_iter().map(|f| view! {
                <option value=f.as_str() selected=move || format.get() == f>{f.label()}" (."{f.extension()}")"</option>
            }).collect_view()}
        </select>
        <details class="redaction" open=move || !redaction.with(Redaction::is_empty)>
            <summary>"Redaction (optional)"</summary>
            <fieldset>
                <legend>"Mask in every message, summary and contact field"</legend>
                <div class="channels">
                    {RedactedKind::ALL.into_iter().map(|kind| view! {
                        <label class="check">
                            <input id=format!("{prefix}-redact-{}", kind.as_str()) type="checkbox"
                                prop:checked=move || redaction.with(|r| r.masks(kind))
                                on:change=move |ev| redaction.update(|r| *r.kind_mut(kind) = event_target_checked(&ev)) />
                            {kind.label()}
                        </label>
                    }).collect_view()}
                    <label class="check">
                        <input id=format!("{prefix}-pseudonyms") type="checkbox"
                            prop:checked=move || redaction.with(|r| r.contacts == Contacts::Pseudonyms)
                            on:change=move |ev| redaction.update(|r| {
                                r.contacts = if event_target_checked(&ev) { Contacts::Pseudonyms } else { Contacts::Keep }
                            }) />
                        "Name contacts Contact 1, 2, … (their emails left out)"
                    </label>
                </div>
            </fieldset>
            <label for=format!("{prefix}-redact-names")>"Names to mask (separated by ;)"</label>
            <input id=format!("{prefix}-redact-names") type="text" autocomplete="off" maxlength="5000"
                aria-describedby=format!("{prefix}-redact-names-help")
                prop:value=move || names_text.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    redaction.update(|r| r.names = text.split(';').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect());
                    names_text.set(text);
                } />
            <p id=format!("{prefix}-redact-names-help") class="help">"An export that masks names is rendered by the server, where the list stays."</p>
        </details>
    }
}
